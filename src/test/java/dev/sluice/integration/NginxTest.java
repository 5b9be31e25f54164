package dev.sluice.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Access;
import dev.sluice.config.Secret;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sluice behind Debian's nginx configured with {@code etc/nginx/sluice.conf}, with an access file
 * that trusts nginx's address, as the site asks.
 */
@Tag("integration")
class NginxTest {

    @RegisterExtension
    final Relay relay = new Relay();

    @Test
    void eventsArriveOneByOneThroughNginx() throws Exception {
        OneByOne proof = new OneByOne();
        start(proof::answer);
        try (Nginx nginx = Nginx.start("nginx", sluicePort())) {
            proof.check(relay.client(), nginx.uri("/v1/chat/completions"));
            assertTrue(proof.request().headers().get("content-type")
                    .startsWith("application/json"), "the body passed through nginx");
        }
    }

    @Test
    void streamThroughNginxIsNeitherCompressedNorSized() throws Exception {
        start(exchange -> exchange.startStream()
                .write("data: {\"n\":1}\n\ndata: [DONE]\n\n").end());
        // The JDK's client, which decodes nothing and so shows the headers as nginx sent them.
        try (Nginx nginx = Nginx.start("nginx", sluicePort());
                HttpClient jdk = HttpClient.newHttpClient()) {
            HttpResponse<String> response = jdk.send(HttpRequest.newBuilder(
                            nginx.uri("/v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .header("Accept-Encoding", "gzip")
                    .POST(HttpRequest.BodyPublishers.ofString(OneByOne.CHAT))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            assertEquals(Optional.empty(), response.headers().firstValue("Content-Encoding"),
                    "nginx compressed the stream");
            assertEquals(Optional.empty(), response.headers().firstValue("Content-Length"));
            assertEquals("no-cache, no-transform",
                    response.headers().firstValue("Cache-Control").orElseThrow());
            assertEquals("data: {\"n\":1}\n\ndata: [DONE]\n\n", response.body());
        }
    }

    @Test
    void clientLeavingNginxClosesTheProviderConnection() throws Exception {
        LeavingClient leaving = new LeavingClient();
        start(leaving::answer);
        try (Nginx nginx = Nginx.start("nginx", sluicePort())) {
            leaving.check(relay.client(), nginx.uri("/v1/chat/completions"));
        }
    }

    @Test
    void metricsAreNotServedThroughNginx() throws Exception {
        start(exchange -> exchange.respond(500, "text/plain", "not called"));
        try (Nginx nginx = Nginx.start("nginx", sluicePort());
                HttpClient jdk = HttpClient.newHttpClient()) {
            assertEquals(404, get(jdk, nginx.uri("/metrics")));
            assertEquals(404, get(jdk, nginx.uri("/%6detrics")));
            assertEquals(200, get(jdk, URI.create(relay.sluiceUrl() + "/metrics")));
        }
    }

    @Test
    void withoutAnAccessFileSluiceRefusesWhatNginxPassesOn() throws Exception {
        relay.start(exchange -> exchange.respond(500, "text/plain", "not called"));
        try (Nginx nginx = Nginx.start("nginx", sluicePort());
                HttpClient jdk = HttpClient.newHttpClient()) {
            HttpResponse<String> response = jdk.send(HttpRequest.newBuilder(
                            nginx.uri("/v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(OneByOne.CHAT))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(403, response.statusCode());
            assertTrue(response.body().contains("not through a proxy"), response.body());
            assertEquals(403, get(jdk, nginx.uri("/healthz")));
        }
    }

    @Test
    void aResumedStreamsTicketStaysOutOfNginxsAccessLog() throws Exception {
        start(exchange -> exchange.startStream()
                .write("data: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: [DONE]\n\n").end());
        try (Nginx nginx = Nginx.start("nginx", sluicePort());
                HttpClient jdk = HttpClient.newHttpClient()) {
            HttpResponse<String> started = jdk.send(HttpRequest.newBuilder(
                            nginx.uri("/v1/streams"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(OneByOne.CHAT))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(201, started.statusCode(), started.body());
            JsonNode body = new ObjectMapper().readTree(started.body());
            String id = body.path("id").asText();
            String url = body.path("url").asText();
            String ticket = url.substring(url.indexOf("?token=") + "?token=".length());
            // As a browser resolves it against the page's URL: nginx's port and scheme.
            URI read = nginx.uri(url);
            // As EventSource reads: the stream's URL to its end, then again with Last-Event-ID.
            assertTrue(stream(jdk, read, null).endsWith("data: [DONE]\nid: " + id + ":3\n\n"));
            assertEquals("data: [DONE]\nid: " + id + ":3\n\n", stream(jdk, read, id + ":2"));
            for (int i = 0; i < 2; i++) {
                String logged = nginx.awaitLine("GET /v1/streams/" + id, Duration.ofSeconds(30));
                assertTrue(logged.contains(" 200 "), logged);
                assertFalse(logged.contains(ticket), "nginx logged the ticket: " + logged);
            }
        }
    }

    /** The body of a stream read to its end, after {@code lastEventId} unless it is null. */
    private static String stream(HttpClient jdk, URI uri, String lastEventId) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<String> response = jdk.send(request.build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }

    /** Sluice relaying to an upstream with {@code script}, trusting nginx on 127.0.0.1. */
    private void start(FakeUpstream.Script script) throws Exception {
        FakeUpstream upstream = relay.upstream(script);
        relay.start(TestConfig.relayingTo(upstream.baseUrl(), new Secret(RunningSluice.KEY))
                .access(new Access(Map.of(), null, null, Set.of("127.0.0.1"))).build());
    }

    private static int get(HttpClient jdk, URI uri) throws Exception {
        return jdk.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private int sluicePort() {
        return URI.create(relay.sluiceUrl()).getPort();
    }
}
