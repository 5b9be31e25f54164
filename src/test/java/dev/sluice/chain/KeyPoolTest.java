package dev.sluice.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Retries;
import dev.sluice.config.Secret;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.TestConfig;
import dev.sluice.testing.TranscriptLines;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * A route with a pool of keys against an upstream that answers each key as a provider would:
 * a throttled or refused key rests or leaves the pool, and the others go on serving.
 */
class KeyPoolTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String A = "sk-pool-a-Hq3vN8xK2mR7tY5wB9cD";
    private static final String B = "sk-pool-b-Lp4sG6jF1nZ8eU3iO7aQ";
    private static final String C = "sk-pool-c-Wx2yV5bN9mK4hJ7gT1rE";
    private static final String THROTTLED = "{\"error\":{\"message\":\"Rate limit reached\","
            + "\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}";

    @RegisterExtension
    final Relay relay = new Relay();
    @RegisterExtension
    final TranscriptLines transcripts = new TranscriptLines();

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    /** The keys the upstream was called with, in order. */
    private final List<String> calls = new CopyOnWriteArrayList<>();

    @BeforeEach
    void captureLogs() {
        logs.start();
        root().addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        root().detachAppender(logs);
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    /** Starts an upstream that answers each key with its own script, Sluice with the pool. */
    private URI start(Map<String, FakeUpstream.Script> byKey, String... pool) throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> {
            String key = exchange.request().headers().get("authorization")
                    .substring("Bearer ".length());
            calls.add(key);
            byKey.getOrDefault(key, KeyPoolTest::answer).answer(exchange);
        });
        return relay.start(TestConfig.relayingTo(upstream.baseUrl(), null)
                .keys(Arrays.stream(pool).map(Secret::new).toArray(Secret[]::new))
                .build());
    }

    private static void answer(FakeUpstream.Exchange exchange) throws Exception {
        exchange.startStream().write("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n"
                + "data: [DONE]\n\n").end();
    }

    private static FakeUpstream.Script throttled(String... headers) {
        return exchange -> exchange.respond(429, "application/json", THROTTLED, headers);
    }

    private String streamed(URI chat) throws Exception {
        ContentResponse response = relay.client().post(chat, STREAM);
        assertEquals(200, response.getStatus(), response.getContentAsString());
        assertTrue(response.getContentAsString().endsWith("data: [DONE]\n\n"),
                response::getContentAsString);
        return response.getContentAsString();
    }

    private long count(String key) {
        return calls.stream().filter(key::equals).count();
    }

    @Test
    void aThrottledKeyRestsForItsRetryAfterWhileTheOthersServe() throws Exception {
        URI chat = start(Map.of(A, throttled("Retry-After", "30")), A, B, C);

        for (int i = 0; i < 9; i++) {
            streamed(chat);
        }

        assertEquals(1, count(A), calls::toString);
        assertEquals(9, count(B) + count(C), calls::toString);
        List<JsonNode> lines = transcripts.awaitLines(9);
        // The first request tried A first, then had its answer from the next key in turn.
        assertEquals(new Secret(B).fingerprint(), lines.getFirst().get("key").asText());
        assertEquals(2, lines.getFirst().get("attempts").asInt());
        assertEquals(1, lines.get(1).get("attempts").asInt());
        String metrics = relay.client().get(URI.create(relay.sluiceUrl() + "/metrics"))
                .getContentAsString();
        assertTrue(metrics.contains("sluice_upstream_key_throttled_total{key=\""
                + new Secret(A).fingerprint() + "\",route=\"openai\"} 1.0"), metrics);
        assertTrue(metrics.contains("sluice_upstream_key_resting{key=\""
                + new Secret(A).fingerprint() + "\",route=\"openai\"} 1.0"), metrics);
        assertNoKeyIn(metrics);
    }

    @Test
    void aThrottledKeyServesAgainOnceItsRestIsOver() throws Exception {
        AtomicInteger throttles = new AtomicInteger();
        long[] throttledAt = new long[1];
        URI chat = start(Map.of(A, exchange -> {
            if (throttles.getAndIncrement() == 0) {
                throttledAt[0] = System.nanoTime();
                throttled("retry-after-ms", "1000").answer(exchange);
            } else {
                answer(exchange);
            }
        }), A, B);

        // Bounded: far more requests than a second of rest takes, or ten seconds.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (count(A) < 2 && System.nanoTime() < deadline) {
            streamed(chat);
        }

        assertEquals(2, count(A), "A was used again after its rest");
        long rested = System.nanoTime() - throttledAt[0];
        assertTrue(rested >= 1_000_000_000L, "A was called again after " + rested + " ns");
        assertTrue(count(B) > 1, calls::toString);
    }

    @Test
    void aSpentLimitRestsTheKeyBeforeTheProviderRefusesIt() throws Exception {
        URI chat = start(Map.of(A, exchange -> exchange.startStream(
                "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "6m0s")
                .write("data: [DONE]\n\n").end()), A, B);

        for (int i = 0; i < 4; i++) {
            streamed(chat);
        }

        assertEquals(List.of(A, B, B, B), calls);
    }

    @Test
    void aRefusedKeyLeavesThePoolAndIsLoggedOnceByItsFingerprint() throws Exception {
        URI chat = start(Map.of(A, exchange -> exchange.respond(401, "application/json",
                "{\"error\":{\"message\":\"Incorrect API key provided: " + A + "\"}}")), A, B);

        for (int i = 0; i < 5; i++) {
            streamed(chat);
        }

        assertEquals(1, count(A), calls::toString);
        assertEquals(5, count(B), calls::toString);
        List<String> out = logs.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(line -> line.contains("out of service")).toList();
        assertEquals(1, out.size(), out::toString);
        assertTrue(out.getFirst().contains(new Secret(A).fingerprint()), out::toString);
        assertTrue(out.getFirst().contains("1 of 2"), out::toString);
        assertNoKeyInLogs();
    }

    @Test
    void everyKeyRestingIsA429WithRetryAfterAndNoCallUpstream() throws Exception {
        URI chat = start(Map.of(A, throttled("Retry-After", "60"),
                B, throttled("Retry-After", "70")), A, B);

        ContentResponse first = relay.client().post(chat, STREAM);
        // Both keys throttled for longer than a request may queue: the provider's last answer.
        assertEquals(429, first.getStatus());
        assertEquals("70", first.getHeaders().get("Retry-After"));
        assertEquals(List.of(A, B), calls);

        ContentResponse second = relay.client().post(chat, STREAM);

        assertEquals(429, second.getStatus());
        int retryAfter = Integer.parseInt(second.getHeaders().get("Retry-After"));
        assertTrue(retryAfter > 30 && retryAfter <= 60, "Retry-After: " + retryAfter);
        JsonNode error = JSON.readTree(second.getContent()).get("error");
        assertEquals("rate_limit_error", error.get("type").asText());
        assertTrue(error.get("message").asText().contains("every key of route openai"),
                error::toString);
        assertEquals(2, calls.size(), "no call while every key rests");
        assertNoKeyIn(first.getContentAsString() + second.getContentAsString());
    }

    @Test
    void aRestShortEnoughIsWaitedForWithinTheRetries() throws Exception {
        AtomicInteger throttles = new AtomicInteger();
        FakeUpstream upstream = relay.upstream(exchange -> {
            calls.add("A");
            if (throttles.getAndIncrement() == 0) {
                throttled("retry-after-ms", "50").answer(exchange);
            } else {
                answer(exchange);
            }
        });
        URI chat = relay.start(TestConfig.relayingTo(upstream.baseUrl(), new Secret(A))
                .retries(new Retries(1, Duration.ofMillis(10), Duration.ofSeconds(5))).build());

        streamed(chat);

        assertEquals(2, calls.size(), "one key, waited for and tried again");
    }

    @Test
    void everyKeyRefusedIs503WithoutCallingTheUpstream() throws Exception {
        FakeUpstream.Script refused = exchange -> exchange.respond(403, "application/json",
                "{\"error\":{\"message\":\"forbidden\"}}");
        URI chat = start(Map.of(A, refused, B, refused), A, B);

        assertEquals(403, relay.client().post(chat, STREAM).getStatus());
        ContentResponse later = relay.client().post(chat, STREAM);

        assertEquals(503, later.getStatus());
        assertEquals("upstream_keys_refused",
                JSON.readTree(later.getContent()).get("error").get("type").asText());
        assertEquals(2, calls.size(), calls::toString);
        assertNoKeyInLogs();
    }

    private void assertNoKeyInLogs() {
        StringBuilder all = new StringBuilder();
        logs.list.forEach(event -> all.append(event.getFormattedMessage()).append('\n'));
        assertNoKeyIn(all.toString());
    }

    private static void assertNoKeyIn(String text) {
        for (String key : List.of(A, B, C)) {
            assertFalse(text.contains(key), text);
            assertFalse(text.contains(key.substring(0, 16)), text);
        }
    }
}
