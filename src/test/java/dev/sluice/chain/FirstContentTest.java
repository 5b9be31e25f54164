package dev.sluice.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Policy;
import dev.sluice.config.Retries;
import dev.sluice.config.Route;
import dev.sluice.config.Secret;
import dev.sluice.config.Serving;
import dev.sluice.config.Timeouts;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.LoggedText;
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
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stream commits on its first content event, not its first event: the provider's opening
 * (the role chunk, {@code message_start}, {@code response.created}) is held back, so that an
 * upstream whose stream gives out before any content (silent past the first-event timeout, an
 * error event, an end without events) hands the request to the next route of its chain, and
 * the client gets one clean stream: the fallback's, whole. After content, a failure ends the
 * stream in-band and nothing else is called.
 */
class FirstContentTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STREAM = "{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[]}";
    private static final String ROLE = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":"
            + "\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n";
    private static final String ANSWER = "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}"
            + "\n\ndata: [DONE]\n\n";
    private static final String OVERLOADED = "data: {\"error\":{\"message\":\"overloaded\","
            + "\"type\":\"server_error\",\"code\":503}}\n\n";
    private static final String CLAUDE = "{\"model\":\"claude\",\"stream\":true,\"max_tokens\":9,"
            + "\"messages\":[]}";
    private static final String MESSAGE_START = "event: message_start\ndata: {\"type\":"
            + "\"message_start\",\"message\":{\"usage\":{\"input_tokens\":7}}}\n\n"
            + "event: ping\ndata: {\"type\": \"ping\"}\n\n";
    private static final String CLAUDE_ANSWER = MESSAGE_START + "event: content_block_delta\n"
            + "data: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\","
            + "\"text\":\"ok\"}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    private static final Timeouts QUICK_FIRST_EVENT = new Timeouts(Duration.ofSeconds(5),
            Duration.ofSeconds(5), Duration.ofMillis(400), Duration.ofSeconds(5),
            Duration.ofMinutes(1), Duration.ofSeconds(30));
    private static final Retries NO_RETRIES = new Retries(0, Duration.ofMillis(10),
            Duration.ofSeconds(1));

    /** Every upstream key of these tests: none may reach a client, a log line or a metric. */
    private static final String PAIR_PRIMARY_KEY = "sk-pair-primary-Wq4eR7tY1u";
    private static final String PAIR_BACKUP_KEY = "sk-pair-backup-Lk8jH3gF6d";
    private static final List<String> KEYS = List.of("sk-primary-Jk4mR8vN2xQ6wT1z",
            "az-backup-Pz7yW3nB5cV9mL2k", "sk-only-Qm3nB8vC1xZ5", PAIR_PRIMARY_KEY,
            PAIR_BACKUP_KEY, "sk-unused-Zx9cV2bN");

    @RegisterExtension
    final Relay relay = new Relay();
    @RegisterExtension
    final LoggedText logs = new LoggedText();
    @RegisterExtension
    final TranscriptLines transcripts = new TranscriptLines();

    private FakeUpstream backup;

    /** Whatever path a test took, no key was logged, and none is in the metrics. */
    @AfterEach
    void noKeyLeft() throws Exception {
        String all = logs.text() + metrics();
        for (String key : KEYS) {
            assertFalse(all.contains(key.substring(0, 12)), key);
        }
    }

    @AfterEach
    void stop() throws IOException {
        if (backup != null) {
            backup.close();
        }
    }

    /** Sluice with {@code primary} for /v1 falling back to {@code backupScript}'s route. */
    private URI start(FakeUpstream.Script primary, FakeUpstream.Script backupScript,
            Timeouts timeouts, boolean resumable) throws Exception {
        backup = new FakeUpstream(backupScript);
        Route azure = new Route("azure", "/azure", backup.baseUrl(), "openai-chat",
                new Secret("az-backup-Pz7yW3nB5cV9mL2k"), Policy.NONE).serving(new Serving(
                        "api-key", Map.of("gpt-4o", "my-gpt-4o"), List.of(), false));
        TestConfig config = TestConfig.relayingTo(relay.upstream(primary).baseUrl(),
                new Secret("sk-primary-Jk4mR8vN2xQ6wT1z"))
                .serving(new Serving(null, Map.of(), List.of("azure"), true))
                .route(azure).retries(NO_RETRIES).timeouts(timeouts);
        return relay.start(resumable ? config.resumable().build() : config.build());
    }

    /**
     * Sluice with a route of {@code dialect} at /first/ whose upstream writes {@code stream},
     * falling back to an unexposed one of the same dialect that writes {@code answer}.
     *
     * @return the first route's base, ending in /
     */
    private URI startPair(String dialect, String stream, String answer) throws Exception {
        backup = new FakeUpstream(exchange -> exchange.startStream().write(answer).end());
        FakeUpstream primary = relay.upstream(exchange -> exchange.startStream().write(stream)
                .end());
        Route first = new Route("first", "/first", primary.baseUrl(), dialect,
                new Secret(PAIR_PRIMARY_KEY), Policy.NONE).serving(new Serving(null, Map.of(),
                        List.of("second"), true));
        Route second = new Route("second", "/second", backup.baseUrl(), dialect,
                new Secret(PAIR_BACKUP_KEY), Policy.NONE).serving(new Serving(null, Map.of(),
                        List.of(), false));
        relay.start(TestConfig.relayingTo(primary.baseUrl(), new Secret("sk-unused-Zx9cV2bN"))
                .route(first).route(second).retries(NO_RETRIES).build());
        return URI.create(relay.sluiceUrl() + "/first/");
    }

    private URI start(FakeUpstream.Script primary) throws Exception {
        return start(primary, exchange -> exchange.startStream().write(ANSWER).end(),
                QUICK_FIRST_EVENT, false);
    }

    /** The client got the backup's stream alone, asked for the backup's model. */
    private void servedByBackup(ContentResponse response) throws Exception {
        assertEquals(200, response.getStatus(), response.getContentAsString());
        assertEquals(ANSWER, response.getContentAsString());
        assertEquals("my-gpt-4o", JSON.readTree(backup.takeRequest().body()).get("model")
                .asText());
    }

    private String metrics() throws Exception {
        return relay.client().get(URI.create(relay.sluiceUrl() + "/metrics"))
                .getContentAsString();
    }

    @Test
    void aPrimarySilentPastTheFirstEventTimeoutFallsBack() throws Exception {
        URI chat = start(exchange -> {
            exchange.startStream();
            exchange.awaitPeerClosed(10, TimeUnit.SECONDS);
        });

        servedByBackup(relay.client().post(chat, STREAM));

        JsonNode line = transcripts.awaitLines(1).getFirst();
        assertEquals("azure", line.get("upstream").asText());
        assertEquals("done", line.get("outcome").asText());
        assertEquals(2, line.get("attempts").asInt());
        assertTrue(metrics().contains("sluice_upstream_fallbacks_total{reason="
                + "\"first_event_timeout\",route=\"openai\",to=\"azure\"} 1.0"));
        assertTrue(logs.text().contains("(first_event_timeout); trying azure"), logs.text());
    }

    @Test
    void aPrimaryWhoseStreamBeginsWithAnErrorFallsBack() throws Exception {
        URI chat = start(exchange -> exchange.startStream().write(OVERLOADED).end());

        servedByBackup(relay.client().post(chat, STREAM));

        assertTrue(metrics().contains("sluice_upstream_fallbacks_total{reason=\"error_event\","
                + "route=\"openai\",to=\"azure\"} 1.0"));
    }

    @Test
    void anErrorAfterTheRoleChunkFallsBackAndTheClientNeverSeesThatChunk() throws Exception {
        URI chat = start(exchange -> exchange.startStream().write(ROLE).write(OVERLOADED).end());

        servedByBackup(relay.client().post(chat, STREAM));
    }

    @Test
    void aPrimaryThatEndsItsStreamWithoutAnEventFallsBack() throws Exception {
        URI chat = start(exchange -> exchange.startStream().write(": warming up\n\n").end());

        servedByBackup(relay.client().post(chat, STREAM));

        assertTrue(metrics().contains("sluice_upstream_fallbacks_total{reason=\"no_event\","
                + "route=\"openai\",to=\"azure\"} 1.0"));
    }

    @Test
    void afterContentAFailureEndsTheStreamInBandAndTheFallbackIsNeverCalled() throws Exception {
        String hel = "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}";
        CountDownLatch seen = new CountDownLatch(1);
        URI chat = start(exchange -> {
            exchange.startStream().write(ROLE + hel + "\n\n");
            seen.await(10, TimeUnit.SECONDS); // read by the client: read by Sluice
            exchange.reset();
        });

        try (TestClient.Stream stream = relay.client().stream(chat, STREAM)) {
            assertEquals(200, stream.response().getStatus());
            assertTrue(stream.nextEvent().data().contains("assistant"), "the opening first");
            assertEquals(hel.substring(6), stream.nextEvent().data());
            seen.countDown();
            assertTrue(stream.nextEvent().data().startsWith("{\"error\":"));
            assertEquals("[DONE]", stream.nextEvent().data());
        }
        assertEquals(0, backup.requestCount());
    }

    @Test
    void theHeldOpeningReachesTheClientFirstByteForByte() throws Exception {
        String odd = "data: {\"choices\" : [ {\"delta\":{\"role\":\"assistant\"}}] , \"x\":1}\n\n";
        URI chat = start(exchange -> exchange.startStream().write(odd).write(ANSWER).end());

        ContentResponse response = relay.client().post(chat, STREAM);

        assertEquals(odd + ANSWER, response.getContentAsString());
        assertEquals(0, backup.requestCount());
    }

    @Test
    void anErrorAfterTheOpeningIsAnHttpErrorWhenNoRouteIsLeft() throws Exception {
        URI chat = relay.start(TestConfig.relayingTo(relay.upstream(exchange -> exchange
                .startStream().write(ROLE).write(OVERLOADED).end()).baseUrl(),
                new Secret("sk-only-Qm3nB8vC1xZ5")).retries(NO_RETRIES).build());

        ContentResponse response = relay.client().post(chat, STREAM);

        assertEquals(503, response.getStatus(), response.getContentAsString());
        assertTrue(response.getContentAsString().contains("overloaded"));
        assertFalse(response.getContentAsString().contains("assistant"));
    }

    @Test
    void anAnthropicOverloadAfterMessageStartFallsBack() throws Exception {
        URI messages = startPair("anthropic-messages", MESSAGE_START + "event: error\ndata: "
                + "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
                + "\"Overloaded\"}}\n\n", CLAUDE_ANSWER).resolve("v1/messages");

        ContentResponse response = relay.client().post(messages, CLAUDE);

        assertEquals(200, response.getStatus(), response.getContentAsString());
        assertEquals(CLAUDE_ANSWER, response.getContentAsString());
        JsonNode line = transcripts.awaitLines(1).getFirst();
        assertEquals("second", line.get("upstream").asText());
        assertEquals(7, line.get("prompt_tokens").asInt(), "the backup's usage, counted once");
    }

    @Test
    void aResponsesErrorAfterResponseCreatedFallsBack() throws Exception {
        String created = "event: response.created\ndata: {\"type\":\"response.created\"}\n\n"
                + "event: response.in_progress\ndata: {\"type\":\"response.in_progress\"}\n\n";
        String answer = created + "event: response.output_text.delta\ndata: {\"type\":"
                + "\"response.output_text.delta\",\"delta\":\"ok\"}\n\nevent: response.completed"
                + "\ndata: {\"type\":\"response.completed\",\"response\":{}}\n\n";
        URI responses = startPair("openai-responses", created + "event: error\ndata: {\"type\":"
                + "\"error\",\"code\":\"server_error\",\"message\":\"try again\"}\n\n", answer)
                .resolve("responses");

        ContentResponse response = relay.client().post(responses,
                "{\"model\":\"gpt-4o\",\"stream\":true,\"input\":\"hi\"}");

        assertEquals(200, response.getStatus(), response.getContentAsString());
        assertEquals(answer, response.getContentAsString());
    }

    @Test
    void heartbeatsWhileThePrimaryIsSilentStillLeaveOneCleanStream() throws Exception {
        Timeouts beating = new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofMillis(800), Duration.ofSeconds(5), Duration.ofMinutes(1),
                Duration.ofMillis(100));
        URI chat = start(exchange -> {
            exchange.startStream();
            exchange.awaitPeerClosed(10, TimeUnit.SECONDS);
        }, exchange -> exchange.startStream().write(ANSWER).end(), beating, false);

        ContentResponse response = relay.client().post(chat, STREAM);

        assertEquals(200, response.getStatus());
        String body = response.getContentAsString();
        assertTrue(body.startsWith(": keep-alive\n"), body);
        assertEquals(ANSWER, body.replace(": keep-alive\n", ""));
    }

    @Test
    void whenTheChainRunsOutAfterHeartbeatsTheErrorComesInBand() throws Exception {
        Timeouts beating = new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofMillis(800), Duration.ofSeconds(5), Duration.ofMinutes(1),
                Duration.ofMillis(100));
        URI chat = start(exchange -> {
            exchange.startStream();
            exchange.awaitPeerClosed(10, TimeUnit.SECONDS);
        }, exchange -> exchange.respond(503, "application/json",
                "{\"error\":{\"message\":\"down too\"}}"), beating, false);

        ContentResponse response = relay.client().post(chat, STREAM);

        assertEquals(200, response.getStatus(), "committed by the heartbeats");
        String body = response.getContentAsString().replace(": keep-alive\n", "");
        assertTrue(body.startsWith("data: {\"error\":{\"message\":\"the upstream of route azure "
                + "answered 503\""), body);
        assertTrue(body.endsWith("data: [DONE]\n\n"), body);
        JsonNode line = transcripts.awaitLines(1).getFirst();
        assertEquals("azure", line.get("upstream").asText());
        assertEquals(503, line.get("status").asInt());
    }

    @Test
    void aResumableStreamFallsBackWithNothingOfThePrimaryInItsLog() throws Exception {
        URI chat = start(exchange -> exchange.startStream().write(ROLE).write(OVERLOADED).end(),
                exchange -> exchange.startStream().write(ANSWER).end(), QUICK_FIRST_EVENT, true);

        ContentResponse response = relay.client().post(chat, STREAM);

        assertEquals(200, response.getStatus());
        String id = response.getHeaders().get("X-Sluice-Stream-Id");
        assertEquals("id: " + id + ":0\n\n"
                + "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\nid: " + id + ":1\n\n"
                + "data: [DONE]\nid: " + id + ":2\n\n", response.getContentAsString());
    }

    @Test
    void silentPrimariesTripTheirHealthLikeFailedCalls() throws Exception {
        URI chat = start(exchange -> {
            exchange.startStream();
            exchange.awaitPeerClosed(10, TimeUnit.SECONDS);
        }, exchange -> exchange.startStream().write(ANSWER).end(), new Timeouts(
                Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(200),
                Duration.ofSeconds(5), Duration.ofMinutes(1), Duration.ofSeconds(30)), false);

        for (int i = 0; i < 5; i++) {
            assertEquals(ANSWER, relay.client().post(chat, STREAM).getContentAsString());
        }

        assertEquals(3, relay.upstream().requestCount(), "three silences, then skipped");
    }
}
