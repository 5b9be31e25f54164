package dev.sluice.chain;

import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Queueing;
import dev.sluice.config.Retries;
import dev.sluice.config.Secret;
import dev.sluice.config.Serving;
import dev.sluice.config.Timeouts;
import dev.sluice.sse.SseComment;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseItem;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.LoggedText;
import dev.sluice.testing.Relay;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * When every key of a route rests, its requests wait in the route's queue instead of failing:
 * a streaming client hears {@code : queued, position N} once the heartbeat is due and then gets
 * its answer; callers take turns; the queue is bounded per caller, in length and in time, and a
 * client that leaves gives up its place.
 */
class QueueTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ANSWER = "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}"
            + "\n\ndata: [DONE]\n\n";
    private static final String X = "slc_caller-x-token-Rt5y";
    private static final String Y = "slc_caller-y-token-Gh7j";
    private static final Timeouts BEATING = new Timeouts(Duration.ofSeconds(5),
            Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(10),
            Duration.ofMinutes(1), Duration.ofMillis(50));

    /** Every upstream key of these tests: none may reach a client, a log line or a metric. */
    private static final List<String> KEYS = List.of("sk-only-key-Wm2nQ8zX4c");

    @RegisterExtension
    final Relay relay = new Relay();
    @RegisterExtension
    final LoggedText logs = new LoggedText();

    /** Whatever path a test took, no key was logged, and none is in the metrics. */
    @AfterEach
    void noKeyLeft() throws Exception {
        String all = logs.text() + relay.client().get(URI.create(relay.sluiceUrl()
                + "/metrics")).getContentAsString();
        for (String key : KEYS) {
            assertFalse(all.contains(key.substring(0, 12)), key);
        }
    }

    /** Who the upstream served, in order, by the request's {@code user} field. */
    private final List<String> served = new CopyOnWriteArrayList<>();
    private final AtomicInteger calls = new AtomicInteger();

    /** The first call is throttled for {@code restMillis}; the rest are answered. */
    private FakeUpstream.Script throttledOnce(long restMillis, CountDownLatch hold) {
        return exchange -> {
            if (calls.incrementAndGet() == 1) {
                exchange.respond(429, "application/json", "{\"error\":{\"message\":\"slow\"}}",
                        "retry-after-ms", Long.toString(restMillis));
                return;
            }
            if (hold != null) {
                hold.await(10, TimeUnit.SECONDS);
            }
            served.add(JSON.readTree(exchange.request().body()).path("user").asText());
            exchange.startStream().write(ANSWER).end();
        };
    }

    private URI start(FakeUpstream.Script script, Queueing queue) throws Exception {
        Access access = new Access(Map.of(sha256(X), new Client("x", Set.of(), Set.of(), 0, 0,
                0), sha256(Y), new Client("y", Set.of(), Set.of(), 0, 0, 0)), null, null,
                Set.of());
        return relay.start(TestConfig.relayingTo(relay.upstream(script).baseUrl(),
                new Secret("sk-only-key-Wm2nQ8zX4c")).access(access).timeouts(BEATING)
                .retries(new Retries(1, Duration.ofMillis(10), Duration.ofSeconds(1))
                        .queue(queue)).build());
    }

    private static String stream(String user) {
        return "{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[],\"user\":\"" + user + "\"}";
    }

    private static String bearer(String token) {
        return "Bearer " + token;
    }

    /** The text of the next item, which must be a comment. */
    private static String nextComment(TestClient.Stream stream) throws Exception {
        SseItem item = stream.next();
        assertTrue(item instanceof SseComment, String.valueOf(item));
        return ((SseComment) item).text();
    }

    @Test
    void aStreamWaitsForTheRestingKeyHearsItsPlaceAndThenGetsItsAnswer() throws Exception {
        URI chat = start(throttledOnce(1500, null), new Queueing(Duration.ofSeconds(30), 8, 1));

        try (TestClient.Stream stream = relay.client().stream(chat, stream("x1"),
                "Authorization", bearer(X))) {
            assertEquals(200, stream.response().getStatus());
            assertEquals("text/event-stream; charset=utf-8",
                    stream.response().getHeaders().get("Content-Type"));
            assertEquals("queued, position 1", nextComment(stream));
            List<String> data = new ArrayList<>();
            for (SseItem item : stream.rest()) {
                if (item instanceof SseEvent event) {
                    data.add(event.data());
                } else {
                    assertEquals(new SseComment("queued, position 1"), item);
                }
            }
            assertEquals(List.of("{\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}", "[DONE]"),
                    data);
        }
        assertEquals(List.of("x1"), served);
        assertTrue(relay.client().get(URI.create(relay.sluiceUrl() + "/metrics"))
                .getContentAsString().contains("sluice_queue_wait_seconds_count{route=\"openai\"}"
                        + " 1"));
    }

    @Test
    void aNonStreamedRequestWaitsSilently() throws Exception {
        URI chat = start(exchange -> {
            if (calls.incrementAndGet() == 1) {
                exchange.respond(429, "application/json", "{\"error\":{}}", "retry-after-ms",
                        "400");
                return;
            }
            exchange.respond(200, "application/json", "{\"choices\":[]}");
        }, new Queueing(Duration.ofSeconds(30), 8, 1));

        ContentResponse response = relay.client().post(chat, "{\"model\":\"gpt-4o\","
                + "\"messages\":[]}", "Authorization", bearer(X));

        assertEquals(200, response.getStatus());
        assertEquals("{\"choices\":[]}", response.getContentAsString());
    }

    @Test
    void oneCallersFloodDelaysAnotherCallerByOneTurnAtMost() throws Exception {
        URI chat = start(throttledOnce(4000, null), new Queueing(Duration.ofSeconds(30), 64, 20));
        List<TestClient.Stream> waiting = new ArrayList<>();
        try {
            // Each returns once its first note says it waits: they queue in this order.
            for (int i = 1; i <= 20; i++) {
                waiting.add(relay.client().stream(chat, stream("x" + i), "Authorization",
                        bearer(X)));
            }
            waiting.add(relay.client().stream(chat, stream("y1"), "Authorization", bearer(Y)));
            for (TestClient.Stream stream : waiting) {
                assertTrue(new String(stream.restBytes(), StandardCharsets.UTF_8)
                        .endsWith(ANSWER));
            }
        } finally {
            for (TestClient.Stream stream : waiting) {
                stream.close();
            }
        }
        assertEquals(21, served.size(), served::toString);
        assertTrue(served.indexOf("y1") <= 1, "y waited behind one of x's at most: " + served);
        assertEquals("x1", served.getFirst());
    }

    @Test
    void aRequestCallsAtMostOncePerKeyPlusItsRetriesHoweverLongItWaits() throws Exception {
        // Every call throttled for a moment: each rest is within the wait, so it queues again.
        URI chat = start(exchange -> {
            calls.incrementAndGet();
            exchange.respond(429, "application/json", "{\"error\":{\"message\":\"slow\"}}",
                    "retry-after-ms", "50");
        }, new Queueing(Duration.ofSeconds(30), 8, 1));

        ContentResponse response = relay.client().post(chat, "{\"model\":\"gpt-4o\","
                + "\"messages\":[]}", "Authorization", bearer(X));

        assertEquals(429, response.getStatus(), "the provider's last answer");
        assertEquals(2, calls.get(), "one key and one retry (SLUICE_RETRIES = 1)");
    }

    @Test
    void aSecondRequestOfACallerAlreadyWaitingIs429() throws Exception {
        URI chat = start(throttledOnce(3000, null), new Queueing(Duration.ofSeconds(30), 8, 1));

        try (TestClient.Stream first = relay.client().stream(chat, stream("x1"),
                "Authorization", bearer(X))) {
            ContentResponse second = relay.client().post(chat, stream("x2"), "Authorization",
                    bearer(X));

            assertEquals(429, second.getStatus());
            assertTrue(Integer.parseInt(second.getHeaders().get("Retry-After")) >= 1);
            assertTrue(JSON.readTree(second.getContent()).path("error").path("message").asText()
                    .contains("SLUICE_QUEUE_PER_CALLER"));
            first.abort();
        }
    }

    @Test
    void aFullQueueIs503WithRetryAfter() throws Exception {
        URI chat = start(throttledOnce(3000, null), new Queueing(Duration.ofSeconds(30), 1, 1));

        try (TestClient.Stream first = relay.client().stream(chat, stream("x1"),
                "Authorization", bearer(X))) {
            ContentResponse other = relay.client().post(chat, stream("y1"), "Authorization",
                    bearer(Y));

            assertEquals(503, other.getStatus());
            assertEquals("queue_full", JSON.readTree(other.getContent()).path("error")
                    .path("type").asText());
            assertTrue(Integer.parseInt(other.getHeaders().get("Retry-After")) >= 1);
            first.abort();
        }
    }

    @Test
    void aRequestStillWaitingAtTheQueuesLimitGetsA429InBand() throws Exception {
        CountDownLatch yRefused = new CountDownLatch(1);
        // x's request holds the first place, its call answered only once y has given up.
        URI chat = start(throttledOnce(200, yRefused), new Queueing(Duration.ofMillis(1200), 8,
                1));

        try (TestClient.Stream x = relay.client().stream(chat, stream("x1"), "Authorization",
                bearer(X)); TestClient.Stream y = relay.client().stream(chat, stream("y1"),
                        "Authorization", bearer(Y))) {
            String refused = new String(y.restBytes(), StandardCharsets.UTF_8);
            yRefused.countDown();

            assertTrue(refused.startsWith(": queued, position 2\n"), refused);
            assertTrue(refused.contains("in route openai's queue (SLUICE_QUEUE_WAIT)"), refused);
            assertTrue(refused.endsWith("data: [DONE]\n\n"), refused);
            assertTrue(new String(x.restBytes(), StandardCharsets.UTF_8).endsWith(ANSWER));
        }
        assertEquals(List.of("x1"), served);
    }

    @Test
    void aNonStreamedRequestStillWaitingAtTheQueuesLimitGetsItsWhole429() throws Exception {
        CountDownLatch yRefused = new CountDownLatch(1);
        URI chat = start(throttledOnce(200, yRefused), new Queueing(Duration.ofMillis(1200), 8,
                1));

        try (TestClient.Stream x = relay.client().stream(chat, stream("x1"), "Authorization",
                bearer(X))) {
            ContentResponse y = relay.client().post(chat, "{\"model\":\"gpt-4o\","
                    + "\"messages\":[]}", "Authorization", bearer(Y));
            yRefused.countDown();

            assertEquals(429, y.getStatus());
            assertTrue(Integer.parseInt(y.getHeaders().get("Retry-After")) >= 1);
            assertTrue(JSON.readTree(y.getContent()).path("error").path("message").asText()
                    .contains("SLUICE_QUEUE_WAIT"));
            assertTrue(new String(x.restBytes(), StandardCharsets.UTF_8).endsWith(ANSWER));
        }
    }

    @Test
    void aStreamPastTheRoutesMaxConcurrentWaitsUntilAnAnswerEnds() throws Exception {
        CountDownLatch firstMayEnd = new CountDownLatch(1);
        URI chat = relay.start(TestConfig.relayingTo(relay.upstream(exchange -> {
            String user = JSON.readTree(exchange.request().body()).path("user").asText();
            served.add(user);
            exchange.startStream().write("data: {\"choices\":[{\"delta\":{\"content\":\""
                    + user + "\"}}]}\n\n");
            if (user.equals("x1")) {
                firstMayEnd.await(10, TimeUnit.SECONDS);
            }
            exchange.write("data: [DONE]\n\n").end();
        }).baseUrl(), new Secret("sk-only-key-Wm2nQ8zX4c")).timeouts(BEATING)
                .serving(new Serving(null, Map.of(), List.of(), true, 1)).build());

        try (TestClient.Stream x = relay.client().stream(chat, stream("x1"));
                TestClient.Stream y = relay.client().stream(chat, stream("y1"))) {
            assertEquals("{\"choices\":[{\"delta\":{\"content\":\"x1\"}}]}",
                    x.nextEvent().data());
            assertEquals("queued, position 1", nextComment(y), "y waits for x's slot");
            assertEquals(List.of("x1"), served);
            firstMayEnd.countDown();

            assertEquals("[DONE]", x.nextEvent().data());
            assertEquals("{\"choices\":[{\"delta\":{\"content\":\"y1\"}}]}",
                    y.nextEvent().data());
            assertEquals("[DONE]", y.nextEvent().data());
        }
        assertEquals(List.of("x1", "y1"), served);
    }

    @Test
    void aClientThatLeavesTheQueueGivesUpItsPlace() throws Exception {
        // A rest far longer than the wait below: only the client's leaving can empty the queue.
        URI chat = start(throttledOnce(20_000, null), new Queueing(Duration.ofSeconds(30), 8, 1));
        URI metrics = URI.create(relay.sluiceUrl() + "/metrics");

        TestClient.Stream x = relay.client().stream(chat, stream("x1"), "Authorization",
                bearer(X));
        assertTrue(relay.client().get(metrics).getContentAsString()
                .contains("sluice_queue_length{route=\"openai\"} 1.0"));
        x.abort();

        // Noticed at the next note, a heartbeat away: bounded, not timed.
        boolean gone = false;
        for (long end = System.nanoTime() + 5_000_000_000L; !gone && System.nanoTime() < end; ) {
            gone = relay.client().get(metrics).getContentAsString()
                    .contains("sluice_queue_length{route=\"openai\"} 0.0");
        }
        assertTrue(gone, "the place was given up");
    }
}
