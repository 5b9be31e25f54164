package dev.sluice.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.TestConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

/**
 * A proxy on this machine (the shipped nginx site) connects from 127.0.0.1 for every caller:
 * a request that names a client in a proxy header is from this machine only when a trusted proxy
 * says that client is on loopback too.
 */
class ProxyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";

    @RegisterExtension
    final Relay relay = new Relay();

    private URI start(Access access) throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> exchange.startStream()
                .write("data: {\"choices\":[]}\n\ndata: [DONE]\n\n").end());
        return relay.start(TestConfig.relayingTo(upstream.baseUrl(), null).access(access)
                .build());
    }

    private int status(URI uri, String... headers) throws Exception {
        return relay.client().post(uri, CHAT, headers).getStatus();
    }

    /** A GET with headers, from the JDK's client: Jetty's test client sends none on a GET. */
    private static int get(URI uri, String... headers) throws Exception {
        try (HttpClient jdk = HttpClient.newHttpClient()) {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(30));
            for (int i = 0; i < headers.length; i += 2) {
                request.header(headers[i], headers[i + 1]);
            }
            return jdk.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "X-Forwarded-For | 127.0.0.1",
        "X-Forwarded-For | 203.0.113.7",
        "Forwarded       | for=127.0.0.1",
        "X-Real-IP       | 127.0.0.1",
        "X-Real-IP       | ::1"})
    void withoutAnAccessFileAProxiedRequestIsRefusedWhateverItNames(String header, String value)
            throws Exception {
        URI chat = start(Access.NONE);
        assertEquals(200, status(chat));

        ContentResponse refused = relay.client().post(chat, CHAT, header, value);

        assertEquals(403, refused.getStatus());
        assertEquals("this Sluice has no access file (SLUICE_ACCESS), so it serves this machine "
                + "only, not through a proxy", JSON.readTree(refused.getContent()).path("error")
                .path("message").asText());
        assertEquals(403, get(URI.create(relay.sluiceUrl() + "/metrics"), header, value));
        assertEquals(200, get(URI.create(relay.sluiceUrl() + "/metrics")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "X-Forwarded-For | 127.0.0.1                      | 200",
        "X-Forwarded-For | ::1                            | 200",
        "X-Forwarded-For | 127.0.0.1, 127.0.0.1           | 200",
        "X-Forwarded-For | 203.0.113.7                    | 403",
        "X-Forwarded-For | 127.0.0.1, 203.0.113.7         | 403",
        "X-Forwarded-For | 203.0.113.7, 127.0.0.1         | 403",
        "X-Forwarded-For | 127.example.com                | 403",
        "X-Forwarded-For | unknown                        | 403",
        "Forwarded       | for=\"[::1]:4711\"             | 200",
        "Forwarded       | for=127.0.0.1;proto=http       | 200",
        "Forwarded       | for=127.0.0.1, for=192.0.2.60  | 403",
        "Forwarded       | for=unknown                    | 403",
        "Forwarded       | for=_hidden                    | 403",
        "Forwarded       | proto=http                     | 403",
        "X-Real-IP       | ::ffff:127.0.0.1               | 200",
        "X-Real-IP       | 127.0.0.2                      | 200",
        "X-Real-IP       | ::ffff:10.0.0.1                | 403",
        "X-Real-IP       | 198.51.100.1                   | 403"})
    void aTrustedProxyOnThisMachinePassesOnlyLoopbackClients(String header, String value,
            int expected) throws Exception {
        URI chat = start(new Access(Map.of(), null, null, Set.of("127.0.0.1")));

        assertEquals(expected, status(chat, header, value));
        assertEquals(expected, get(URI.create(relay.sluiceUrl() + "/metrics"), header, value));
    }

    @Test
    void everyProxyHeaderMustNameALoopbackClient() throws Exception {
        URI chat = start(new Access(Map.of(), null, null, Set.of("127.0.0.1")));

        assertEquals(200, status(chat, "X-Forwarded-For", "127.0.0.1", "X-Real-IP", "127.0.0.1"));
        assertEquals(403, status(chat, "X-Forwarded-For", "127.0.0.1", "X-Real-IP",
                "198.51.100.1"));
        assertEquals(403, status(chat, "X-Real-IP", "127.0.0.1", "Forwarded", "for=192.0.2.1"));
    }

    @Test
    void metricsThroughAProxyAreRefusedWhenCallersAuthenticate() throws Exception {
        Client anyone = new Client("public", Set.of(), Set.of(), 0, 0, 0);
        start(new Access(Map.of(), null, anyone, Set.of("127.0.0.1")));
        URI metrics = URI.create(relay.sluiceUrl() + "/metrics");

        assertEquals(403, get(metrics, "X-Forwarded-For", "203.0.113.7"));
        assertEquals(403, get(metrics, "Forwarded", "for=203.0.113.7"));
        assertEquals(200, get(metrics, "X-Forwarded-For", "127.0.0.1"));
        assertEquals(200, get(metrics));
    }

    @Test
    void anUntrustedProxyOnThisMachineNeverMakesItsCallersLocal() throws Exception {
        start(new Access(Map.of(), null, null, Set.of("192.0.2.10")));

        assertEquals(403, get(URI.create(relay.sluiceUrl() + "/metrics"), "X-Forwarded-For",
                "127.0.0.1"));
    }

    @Test
    void aTrustedProxyIsAnAddressNotAName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Access(Map.of(), null, null, Set.of("127.0.0.1", "nginx.internal")));

        assertEquals("trusted-proxies: 'nginx.internal' is not an IP address", e.getMessage());
    }

    @Test
    void theFirstProxiedRequestWithoutAnAccessFileIsLoggedOnce() throws Exception {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger logger = (Logger) LoggerFactory.getLogger(LoopbackOnly.class);
        logs.start();
        logger.addAppender(logs);
        try {
            URI chat = start(Access.NONE);
            assertEquals(200, status(chat));
            assertEquals(List.of(), logs.list);
            assertEquals(403, status(chat, "X-Forwarded-For", "203.0.113.7"));
            assertEquals(403, status(chat, "Forwarded", "for=203.0.113.8"));
        } finally {
            logger.detachAppender(logs);
        }
        assertEquals(1, logs.list.size(), logs.list.toString());
        String line = logs.list.getFirst().getFormattedMessage();
        assertTrue(line.contains("X-Forwarded-For") && line.contains("SLUICE_ACCESS")
                && line.contains("trusted-proxies"), line);
    }
}
