package dev.sluice.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.TestConfig;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DNS rebinding: a page whose name is made to point at 127.0.0.1 calls a loopback-only Sluice
 * from this machine, with its own name as {@code Host} and {@code Origin}; only this machine's
 * names are served.
 */
class RebindingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String TOKEN = "slc_rebinding-test-token-0123456789";

    @RegisterExtension
    final Relay relay = new Relay();

    private FakeUpstream upstream;

    private URI start(TestConfig config) throws Exception {
        return relay.start(config.build());
    }

    private TestConfig config() throws Exception {
        upstream = relay.upstream(exchange -> exchange.startStream()
                .write("data: {\"n\":1}\n\ndata: [DONE]\n\n").end());
        return TestConfig.relayingTo(upstream.baseUrl(), null);
    }

    /** A raw exchange, since HTTP clients write Host themselves: status line and body. */
    private record Answer(int status, String head, String body) {
        JsonNode error() throws Exception {
            return JSON.readTree(body).path("error");
        }
    }

    private static Answer send(URI sluice, String method, String path, String... headers)
            throws Exception {
        StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
        for (int i = 0; i < headers.length; i += 2) {
            request.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        byte[] body = "POST".equals(method) ? CHAT.getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (body.length > 0) {
            request.append("Content-Type: application/json\r\nContent-Length: ")
                    .append(body.length).append("\r\n");
        }
        request.append("Connection: close\r\n\r\n");
        try (Socket socket = new Socket(sluice.getHost(), sluice.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            InputStream in = socket.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int end = answer.indexOf("\r\n\r\n");
            return new Answer(Integer.parseInt(answer.substring(9, 12)),
                    answer.substring(0, end), answer.substring(end + 4));
        }
    }

    private Answer chat(URI chat, String... headers) throws Exception {
        return send(chat, "POST", chat.getPath(), headers);
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.0.0.1:PORT", "127.45.6.7:8080", "[::1]",
            "[::1]:PORT", "[0:0:0:0:0:0:0:1]:PORT", "[::ffff:127.0.0.1]:PORT",
            "[::FFFF:7f00:1]", "localhost", "localhost:PORT", "LocalHost.:PORT"})
    void everyLoopbackHostAndLocalhostIsServed(String host) throws Exception {
        URI chat = start(config());
        Answer answer = chat(chat, "Host", host.replace("PORT", Integer.toString(chat.getPort())));
        assertEquals(200, answer.status(), answer.head());
        assertTrue(answer.body().contains("[DONE]"), answer.body());
    }

    @Test
    void aNameInAllowedHostsIsServed() throws Exception {
        URI chat = start(config().allowedHosts("sluice.lan", "my-laptop"));
        assertEquals(200, chat(chat, "Host", "sluice.lan:8080").status());
        assertEquals(200, chat(chat, "Host", "MY-LAPTOP").status());
        assertEquals(200, chat(chat, "Host", "my-laptop", "Origin", "http://my-laptop:3000")
                .status());
        assertEquals(403, chat(chat, "Host", "other.lan").status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"rebind.example:8080", "rebind.example", "127.0.0.1.rebind.example",
            "localhost.rebind.example:8080", "127.0.0.1.nip.io"})
    void aRebindingNameIsRefusedWithTheSettingThatAdmitsIt(String host) throws Exception {
        URI chat = start(config());
        Answer answer = chat(chat, "Host", host, "Origin", "http://" + host);
        assertEquals(403, answer.status(), answer.head());
        assertTrue(answer.head().contains("application/json"), answer.head());
        JsonNode error = answer.error();
        assertEquals("permission_error", error.path("type").asText());
        String name = host.replaceFirst(":\\d+$", "");
        assertTrue(error.path("message").asText().startsWith("Host '" + name),
                error.toString());
        assertTrue(error.path("message").asText().contains("add it to SLUICE_ALLOWED_HOSTS"),
                error.toString());
        assertEquals(0, upstream.requestCount(), "the key was spent for the page");
        // The streams surface is behind the same door.
        Answer resume = send(chat, "GET", "/v1/streams/abc", "Host", host);
        assertEquals(403, resume.status(), resume.head());
        Answer stop = send(chat, "DELETE", "/v1/streams/abc", "Host", host);
        assertEquals(403, stop.status(), stop.head());
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://rebind.example:8080", "https://attacker.example",
            "http://127.0.0.1.rebind.example", "http://localhost.rebind.example"})
    void anOriginFromAnotherSiteIsRefused(String origin) throws Exception {
        URI chat = start(config());
        Answer answer = chat(chat, "Host", "127.0.0.1:" + chat.getPort(), "Origin", origin);
        assertEquals(403, answer.status(), answer.head());
        String message = answer.error().path("message").asText();
        assertTrue(message.startsWith("Origin '" + origin + "'"), message);
        assertTrue(message.contains("SLUICE_CORS_ORIGINS"), message);
        assertEquals(0, upstream.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"null", "file://", "chrome-extension://abcdef"})
    void aNullOrFileOriginIsRefused(String origin) throws Exception {
        URI chat = start(config().corsOrigins("https://app.example.com"));
        Answer answer = chat(chat, "Host", "localhost", "Origin", origin);
        assertEquals(403, answer.status(), answer.head());
        assertTrue(answer.error().path("message").asText().contains("only a page on an http or "
                + "https origin"), answer.body());
        assertEquals(0, upstream.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1:8080", "http://localhost:3000", "http://[::1]:8080",
            "https://127.0.0.1"})
    void aLoopbackOriginIsServed(String origin) throws Exception {
        URI chat = start(config());
        Answer answer = chat(chat, "Host", "127.0.0.1:" + chat.getPort(), "Origin", origin);
        assertEquals(200, answer.status(), answer.head());
    }

    @Test
    void anOriginInCorsOriginsIsServed() throws Exception {
        URI chat = start(config().corsOrigins("https://app.example.com"));
        Answer answer = chat(chat, "Host", "localhost", "Origin", "https://app.example.com");
        assertEquals(200, answer.status(), answer.head());
        assertTrue(answer.head().contains("Access-Control-Allow-Origin: https://app.example.com"),
                answer.head());
        // Its preflight is answered too, by the CORS filter behind this check.
        Answer preflight = send(chat, "OPTIONS", chat.getPath(), "Host", "localhost", "Origin",
                "https://app.example.com", "Access-Control-Request-Method", "POST");
        assertEquals(204, preflight.status(), preflight.head());
    }

    @Test
    void metricsWithAForeignHostAreRefused() throws Exception {
        URI chat = start(config());
        Answer refused = send(chat, "GET", "/metrics", "Host", "rebind.example:" + chat.getPort());
        assertEquals(403, refused.status(), refused.head());
        assertTrue(refused.error().path("message").asText().contains("SLUICE_ALLOWED_HOSTS"),
                refused.body());
        assertEquals(200, send(chat, "GET", "/metrics", "Host", "localhost").status());
    }

    @Test
    void metricsAreCheckedWithAnAccessFileToo() throws Exception {
        URI chat = start(config().access(tokenAccess()));
        Answer refused = send(chat, "GET", "/metrics", "Host", "rebind.example");
        assertEquals(403, refused.status(), refused.head());
        String message = refused.error().path("message").asText();
        assertTrue(message.contains("SLUICE_ALLOWED_HOSTS") && message.contains("SLUICE_METRICS"),
                message);
        Answer foreign = send(chat, "GET", "/metrics", "Host", "localhost", "Origin",
                "http://rebind.example");
        assertEquals(403, foreign.status(), foreign.head());
        assertEquals(200, send(chat, "GET", "/metrics", "Host", "127.0.0.1").status());
    }

    @Test
    void anAccessFileLeavesHostAndOriginToItsTokens() throws Exception {
        URI chat = start(config().access(tokenAccess()));
        Answer answer = chat(chat, "Host", "sluice.example.com", "Origin",
                "https://elsewhere.example", "Authorization", "Bearer " + TOKEN);
        assertEquals(200, answer.status(), answer.head());
        assertEquals(401, chat(chat, "Host", "sluice.example.com").status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"sluice.lan:8080", "http://sluice.lan", "*.lan", "*", "a/b",
            "sluice.lan,[::1]"})
    void anAllowedHostWithAPortSchemeOrPatternStopsStartUp(String hosts) {
        ConfigException refused = assertThrows(ConfigException.class, () -> Config.load(
                Map.of("SLUICE_ALLOWED_HOSTS", hosts), new Properties()));
        assertTrue(refused.getMessage().startsWith("SLUICE_ALLOWED_HOSTS "
                + "(-Dsluice.allowed-hosts) must be host names"), refused.getMessage());
    }

    @Test
    void allowedHostsAreReadLowerCased() {
        Config config = Config.load(Map.of("SLUICE_ALLOWED_HOSTS", " Sluice.LAN , my_box. "),
                new Properties());
        assertEquals(Set.of("sluice.lan", "my_box"), config.allowedHosts());
    }

    private static Access tokenAccess() throws Exception {
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(TOKEN.getBytes(StandardCharsets.UTF_8)));
        return new Access(Map.of(hash, new Client("web", Set.of(), Set.of(), 0, 0, 0)), null,
                null, Set.of());
    }
}
