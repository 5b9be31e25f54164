package dev.sluice.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.testing.Relay;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Sluice behind Debian's nginx configured with {@code etc/nginx/sluice.conf}. */
@Tag("integration")
class NginxTest {

    @RegisterExtension
    final Relay relay = new Relay();

    @Test
    void eventsArriveOneByOneThroughNginx() throws Exception {
        OneByOne proof = new OneByOne();
        relay.start(proof::answer);
        try (Nginx nginx = Nginx.start("nginx", sluicePort())) {
            proof.check(relay.client(), nginx.uri("/v1/chat/completions"));
            assertTrue(proof.request().headers().get("content-type")
                    .startsWith("application/json"), "the body passed through nginx");
        }
    }

    @Test
    void streamThroughNginxIsNeitherCompressedNorSized() throws Exception {
        relay.start(exchange -> exchange.startStream()
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
        relay.start(leaving::answer);
        try (Nginx nginx = Nginx.start("nginx", sluicePort())) {
            leaving.check(relay.client(), nginx.uri("/v1/chat/completions"));
        }
    }

    private int sluicePort() {
        return URI.create(relay.sluiceUrl()).getPort();
    }
}
