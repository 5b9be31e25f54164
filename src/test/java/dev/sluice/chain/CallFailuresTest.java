package dev.sluice.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.config.OutboundProxy;
import dev.sluice.config.Secret;
import dev.sluice.sse.SseEvent;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.ForwardProxy;
import dev.sluice.testing.FreePort;
import dev.sluice.testing.LoggedText;
import dev.sluice.testing.Relay;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A call that gets no answer says why: a DNS failure, a refused connection and a failed TLS
 * handshake read differently, to the client in general words and in the log with the host and
 * port; and calls go through the outbound proxy that HTTP_PROXY and HTTPS_PROXY name.
 */
class CallFailuresTest {

    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final Relay relay = new Relay();

    @RegisterExtension
    final LoggedText logged = new LoggedText();

    private JsonNode refused(URI upstream, OutboundProxy proxy, int status) throws Exception {
        URI chat = relay.start(TestConfig.relayingTo(upstream, new Secret(RunningSluice.KEY))
                .proxy(proxy).build());
        ContentResponse response = relay.client().post(chat, STREAM);
        assertEquals(status, response.getStatus(), response.getContentAsString());
        assertFalse(response.getContentAsString().contains(RunningSluice.KEY));
        assertFalse(logged.text().contains(RunningSluice.KEY));
        return JSON.readTree(response.getContent()).path("error");
    }

    @Test
    void aHostNameThatDoesNotResolveSaysDns() throws Exception {
        JsonNode error = refused(URI.create("http://upstream.invalid:9/v1"), OutboundProxy.JVM,
                502);

        assertEquals("upstream_unreachable", error.path("type").asText());
        assertEquals("the upstream's host name could not be resolved",
                error.path("message").asText());
        assertTrue(logged.text().contains("route openai: the host name of upstream.invalid:9 "
                + "could not be resolved (DNS)"), logged.text());
    }

    @Test
    void aRefusedConnectionNamesTheHostAndPortInTheLogOnly() throws Exception {
        int port = FreePort.now();
        JsonNode error = refused(URI.create("http://127.0.0.1:" + port + "/v1"),
                OutboundProxy.JVM, 502);

        assertEquals("the upstream refused the connection", error.path("message").asText());
        assertFalse(error.toString().contains(Integer.toString(port)), error.toString());
        assertTrue(logged.text().contains("route openai: 127.0.0.1:" + port + " refused the "
                + "connection"), logged.text());
    }

    @Test
    void aTlsHandshakeThatFailsSaysTls() throws Exception {
        // A server that answers in plain HTTP where the route expects TLS: no handshake.
        try (ServerSocket plain = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                while (!plain.isClosed()) {
                    try (Socket socket = plain.accept()) {
                        socket.getOutputStream().write("HTTP/1.1 400 Bad Request\r\n\r\n"
                                .getBytes(StandardCharsets.US_ASCII));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            int port = plain.getLocalPort();
            JsonNode error = refused(URI.create("https://127.0.0.1:" + port + "/v1"),
                    OutboundProxy.JVM, 502);

            assertEquals("upstream_tls_failed", error.path("type").asText());
            assertEquals("the TLS handshake with the upstream failed",
                    error.path("message").asText());
            assertTrue(logged.text().contains("route openai: TLS with 127.0.0.1:" + port
                    + " failed: "), logged.text());
        }
    }

    @Test
    void callsGoThroughTheProxyThatHttpProxyNames() throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> exchange.startStream()
                .write("data: {\"n\":1}\n\ndata: [DONE]\n\n").end());
        int port = upstream.baseUrl().getPort();
        try (ForwardProxy proxy = new ForwardProxy(Map.of("models.example.com", port))) {
            Config config = Config.load(Map.of("SLUICE_PORT", "0", "HTTP_PROXY", proxy.url(),
                    "OPENAI_BASE_URL", "http://models.example.com:" + port + "/v1",
                    "OPENAI_API_KEY", RunningSluice.KEY), new Properties());
            URI chat = relay.start(config);

            assertEquals(List.of(SseEvent.of("{\"n\":1}"), SseEvent.of("[DONE]")),
                    relay.client().stream(chat, STREAM).rest());
            assertEquals(List.of("POST http://models.example.com:" + port
                    + "/v1/chat/completions HTTP/1.1"), proxy.requestLines());
            assertEquals("Bearer " + RunningSluice.KEY,
                    upstream.takeRequest().headers().get("authorization"));
        }
    }

    @Test
    void httpsUpstreamsAreTunnelledWithConnectAndARefusedTunnelNamesTheProxy() throws Exception {
        try (ForwardProxy proxy = new ForwardProxy(Map.of())) {
            URI proxyUrl = URI.create(proxy.url());
            JsonNode error = refused(URI.create("https://api.example.com/v1"),
                    new OutboundProxy(null, proxyUrl, List.of()), 502);

            assertEquals(List.of("CONNECT api.example.com:443 HTTP/1.1"), proxy.requestLines());
            assertEquals("upstream_unreachable", error.path("type").asText());
            assertFalse(error.toString().contains("127.0.0.1"), error.toString());
            assertEquals("the outbound proxy refused the connection to the upstream",
                    error.path("message").asText());
            assertTrue(logged.text().contains("route openai: the proxy 127.0.0.1:"
                    + proxyUrl.getPort() + " refused the tunnel to api.example.com:443 (Tunnel "
                    + "failed, got: 403)"), logged.text());
        }
    }

    @Test
    void noProxyAndLoopbackGoDirect() throws Exception {
        try (ForwardProxy proxy = new ForwardProxy(Map.of())) {
            OutboundProxy settings = new OutboundProxy(URI.create(proxy.url()), null,
                    List.of("example.com"));
            refused(URI.create("http://upstream.example.com:9/v1"), settings, 502);
            assertTrue(logged.text().contains("could not be resolved (DNS)"), logged.text());

            FakeUpstream local = relay.upstream(exchange -> exchange.startStream()
                    .write("data: [DONE]\n\n").end());
            URI chat = relay.start(TestConfig.relayingTo(local.baseUrl(),
                    new Secret(RunningSluice.KEY)).proxy(settings).build());
            assertEquals(List.of(SseEvent.of("[DONE]")), relay.client().stream(chat, STREAM)
                    .rest());
            assertEquals(List.of(), proxy.requestLines());
        }
    }

    @Test
    void aProxyWithAPasswordIsRefusedAtStartWithoutShowingIt() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Config.load(Map.of("HTTPS_PROXY", "http://me:hunter22@proxy.example:3128"),
                        new Properties()));
        assertFalse(e.getMessage().contains("hunter22"), e.getMessage());
        assertTrue(e.getMessage().startsWith("HTTPS_PROXY names a user and password"),
                e.getMessage());
    }
}
