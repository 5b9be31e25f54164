package dev.sluice.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Policy;
import dev.sluice.config.Retries;
import dev.sluice.config.Route;
import dev.sluice.config.Secret;
import dev.sluice.config.Serving;
import dev.sluice.testing.DeadUpstream;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.FreePort;
import dev.sluice.testing.Relay;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import dev.sluice.testing.TranscriptLines;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A route whose upstream cannot answer passes the request down its chain before any byte
 * reaches the client: the fallback's own URL, key, key header and model name serve it, and one
 * clean stream comes back. An upstream that keeps failing is skipped for a cool-down.
 */
class FallbackTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STREAM = "{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[]}";
    private static final String PRIMARY_KEY = "sk-primary-Jk4mR8vN2xQ6wT1z";
    private static final String BACKUP_KEY = "az-backup-Pz7yW3nB5cV9mL2k";
    private static final String ANSWER = "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}"
            + "\n\ndata: [DONE]\n\n";

    @RegisterExtension
    final Relay relay = new Relay();
    @RegisterExtension
    final TranscriptLines transcripts = new TranscriptLines();

    private FakeUpstream backup;
    private DeadUpstream dead;

    @AfterEach
    void stop() throws IOException {
        if (backup != null) {
            backup.close();
        }
        if (dead != null) {
            dead.close();
        }
    }

    /** Sluice with {@code primary} for /v1, falling back to an Azure-like route on loopback. */
    private URI start(URI primary, Retries retries) throws Exception {
        backup = new FakeUpstream(exchange -> exchange.startStream().write(ANSWER).end());
        Route azure = new Route("azure", "/azure", backup.baseUrl(), "openai-chat",
                new Secret(BACKUP_KEY), Policy.NONE).serving(new Serving("api-key",
                        Map.of("gpt-4o", "my-gpt-4o"), List.of(), false));
        return relay.start(TestConfig.relayingTo(primary, new Secret(PRIMARY_KEY))
                .serving(new Serving(null, Map.of(), List.of("azure"), true))
                .route(azure).retries(retries).build());
    }

    private URI start(FakeUpstream.Script primary) throws Exception {
        return start(relay.upstream(primary).baseUrl(), new Retries(0, Duration.ofMillis(10),
                Duration.ofSeconds(1)));
    }

    /** The answer came whole from the backup, asked for its own model with its own key. */
    private void servedByBackup(ContentResponse response) throws Exception {
        assertEquals(200, response.getStatus(), response.getContentAsString());
        assertEquals(ANSWER, response.getContentAsString());
        FakeUpstream.Request asked = backup.takeRequest();
        assertEquals("my-gpt-4o", JSON.readTree(asked.body()).get("model").asText());
        assertEquals(BACKUP_KEY, asked.headers().get("api-key"));
        assertNull(asked.headers().get("authorization"), "the key goes in api-key alone");
    }

    @Test
    void aPrimaryThatRefusesConnectionsFallsBack() throws Exception {
        int port = FreePort.now();
        URI chat = start(URI.create("http://127.0.0.1:" + port + "/v1"),
                new Retries(0, Duration.ofMillis(10), Duration.ofSeconds(1)));

        servedByBackup(relay.client().post(chat, STREAM));

        JsonNode line = transcripts.awaitLines(1).getFirst();
        assertEquals("openai", line.get("route").asText());
        assertEquals("azure", line.get("upstream").asText());
        assertEquals(new Secret(BACKUP_KEY).fingerprint(), line.get("key").asText());
        assertEquals(2, line.get("attempts").asInt());
        String metrics = relay.client().get(URI.create(relay.sluiceUrl() + "/metrics"))
                .getContentAsString();
        assertTrue(metrics.contains("sluice_upstream_fallbacks_total{reason=\"unreachable\","
                + "route=\"openai\",to=\"azure\"} 1.0"), metrics);
    }

    @Test
    void aPrimaryThatAnswers500FallsBack() throws Exception {
        URI chat = start(exchange -> exchange.respond(500, "application/json",
                "{\"error\":{\"message\":\"boom\"}}"));

        servedByBackup(relay.client().post(chat, STREAM));

        assertEquals("gpt-4o", JSON.readTree(relay.upstream().takeRequest().body())
                .get("model").asText(), "the primary is asked for the client's model");
    }

    @Test
    void aPrimaryWhoseOnlyKeyIsThrottledFallsBack() throws Exception {
        URI chat = start(exchange -> exchange.respond(429, "application/json",
                "{\"error\":{\"message\":\"slow down\"}}", "Retry-After", "30"));

        servedByBackup(relay.client().post(chat, STREAM));
        // The primary's key rests: the next request goes straight to the backup.
        servedByBackup(relay.client().post(chat, STREAM));

        relay.upstream().takeRequest();
        assertEquals(2, backup.requestCount(), "both from the backup");
    }

    @Test
    void aPrimaryAtItsMaxConcurrentPassesTheNextStreamOn() throws Exception {
        CountDownLatch firstMayEnd = new CountDownLatch(1);
        FakeUpstream primary = relay.upstream(exchange -> {
            exchange.startStream().write("data: {\"choices\":[{\"delta\":{\"content\":"
                    + "\"first\"}}]}\n\n");
            firstMayEnd.await(10, TimeUnit.SECONDS);
            exchange.write("data: [DONE]\n\n").end();
        });
        backup = new FakeUpstream(exchange -> exchange.startStream().write(ANSWER).end());
        Route azure = new Route("azure", "/azure", backup.baseUrl(), "openai-chat",
                new Secret(BACKUP_KEY), Policy.NONE).serving(new Serving("api-key",
                        Map.of("gpt-4o", "my-gpt-4o"), List.of(), false));
        URI chat = relay.start(TestConfig.relayingTo(primary.baseUrl(), new Secret(PRIMARY_KEY))
                .serving(new Serving(null, Map.of(), List.of("azure"), true, 1))
                .route(azure).build());

        try (TestClient.Stream first = relay.client().stream(chat, STREAM)) {
            assertEquals("{\"choices\":[{\"delta\":{\"content\":\"first\"}}]}",
                    first.nextEvent().data());

            servedByBackup(relay.client().post(chat, STREAM));
            firstMayEnd.countDown();
            assertEquals("[DONE]", first.nextEvent().data());
        }
        assertEquals(1, primary.requestCount());
        assertTrue(relay.client().get(URI.create(relay.sluiceUrl() + "/metrics"))
                .getContentAsString().contains("sluice_upstream_fallbacks_total{reason=\"busy\","
                        + "route=\"openai\",to=\"azure\"} 1.0"));
    }

    @Test
    void aClientErrorOfThePrimaryIsItsAnswer() throws Exception {
        URI chat = start(exchange -> exchange.respond(400, "application/json",
                "{\"error\":{\"message\":\"bad messages\"}}"));

        ContentResponse response = relay.client().post(chat, STREAM);

        assertEquals(400, response.getStatus());
        assertTrue(response.getContentAsString().contains("bad messages"));
        assertEquals(0, backup.requestCount(), "a 400 is the client's to mend, not an outage");
    }

    @Test
    void aDeadPrimaryCostsOneCallPerCoolDownNotOnePerRequest() throws Exception {
        dead = new DeadUpstream();
        URI chat = start(dead.baseUrl(),
                new Retries(0, Duration.ofMillis(10), Duration.ofSeconds(1), 3,
                        Duration.ofMinutes(10)));

        for (int i = 0; i < 200; i++) {
            ContentResponse response = relay.client().post(chat, STREAM);
            assertEquals(200, response.getStatus(), response.getContentAsString());
        }

        assertEquals(3, dead.accepted(), "three failures in a row, then skipped");
        assertEquals(200, backup.requestCount());
        assertFalse(transcripts.awaitLines(200).stream()
                .anyMatch(line -> !"azure".equals(line.get("upstream").asText())));
    }

    @Test
    void aSkippedUpstreamIsTriedByOneRequestAfterItsCoolDown() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        URI chat = start(relay.upstream(exchange -> {
            if (calls.incrementAndGet() <= 3) {
                exchange.respond(503, "application/json", "{\"error\":{\"message\":\"down\"}}");
            } else {
                exchange.startStream().write(ANSWER).end();
            }
        }).baseUrl(), new Retries(0, Duration.ofMillis(10), Duration.ofSeconds(1), 3,
                Duration.ofMillis(300)));

        long trippedAt = 0;
        for (int i = 0; i < 3; i++) {
            trippedAt = System.nanoTime(); // before the failure that trips it, at the latest
            relay.client().post(chat, STREAM);
        }
        // Bounded: until the primary serves again, or ten seconds.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (calls.get() < 4 && System.nanoTime() < deadline) {
            assertEquals(200, relay.client().post(chat, STREAM).getStatus());
        }

        assertEquals(4, calls.get(), "one request tried the primary after its cool-down");
        assertTrue(System.nanoTime() - trippedAt >= 300_000_000L);
        int before = backup.requestCount();
        relay.client().post(chat, STREAM);
        assertEquals(5, calls.get(), "healthy again: the primary serves");
        assertEquals(before, backup.requestCount());
    }
}
