package dev.sluice.shared;

import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Secret;
import dev.sluice.config.Sharing;
import dev.sluice.sse.SseEvent;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RedisServer;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.Streams;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Two Sluice instances sharing one real redis-server (with a password) count each client's open
 * streams, requests per minute and daily budget together, wherever each request lands; when
 * redis-server is killed, streams in flight go on, limits are counted per instance and budgets
 * refused, and once it is back on its port, counting is shared again without a restart.
 */
class SharedLimitsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String PASSWORD = "redis-pw-Hq83nV6tLw2Zx";
    private static final String STREAMS = "slc_shared-two-streams";
    private static final String RATED = "slc_shared-three-a-minute";
    private static final String BUDGETED = "slc_shared-fifty-tokens";
    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String WHOLE = "{\"model\":\"m\",\"stream\":false,\"messages\":[]}";

    private final AtomicReference<Streams> streams = new AtomicReference<>(new Streams());
    private final List<AutoCloseable> closing = new ArrayList<>();
    private RedisServer redis;
    private FakeUpstream upstream;
    private TestClient client;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start("--requirepass", PASSWORD);
        upstream = new FakeUpstream(exchange -> streams.get().answer(exchange));
        client = new TestClient();
    }

    @AfterEach
    void stop() throws Exception {
        if (redis == null) {
            return; // skipped: no redis-server here, so nothing else was started
        }
        streams.get().finish();
        client.close();
        for (AutoCloseable each : closing.reversed()) {
            each.close();
        }
        upstream.close();
        redis.close();
    }

    static Access access() throws Exception {
        return new Access(Map.of(
                sha256(STREAMS), new Client("two-streams", Set.of(), Set.of(), 2, 0, 0),
                sha256(RATED), new Client("three-a-minute", Set.of(), Set.of(), 0, 3, 0),
                sha256(BUDGETED), new Client("fifty-tokens", Set.of(), Set.of(), 0, 0, 50)),
                null, null, Set.of());
    }

    private RunningSluice sluice(Duration lease) throws Exception {
        RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(upstream.baseUrl(), null)
                .access(access())
                .sharing(new Sharing("127.0.0.1", redis.port(), false, 0, null,
                        new Secret(PASSWORD), "sluice:", Duration.ofMillis(250), lease, true,
                        false))
                .build());
        closing.add(sluice);
        return sluice;
    }

    private static URI chat(RunningSluice sluice) {
        return sluice.uri("/v1/chat/completions");
    }

    private TestClient.Stream open(RunningSluice sluice) throws Exception {
        TestClient.Stream stream = client.stream(chat(sluice), STREAM, "Authorization",
                "Bearer " + STREAMS);
        assertEquals(200, stream.response().getStatus());
        closing.add(stream);
        stream.nextEvent();
        return stream;
    }

    private ContentResponse post(RunningSluice sluice, String token, String body)
            throws Exception {
        return client.post(chat(sluice), body, "Authorization", "Bearer " + token);
    }

    private static String message(ContentResponse response) throws Exception {
        return JSON.readTree(response.getContent()).path("error").path("message").asText();
    }

    @Test
    void aClientAllowedTwoStreamsIsRefusedItsThirdOnEitherInstance() throws Exception {
        RunningSluice a = sluice(Duration.ofSeconds(30));
        RunningSluice b = sluice(Duration.ofSeconds(30));
        Streams firstOnly = streams.get();
        TestClient.Stream first = open(a);
        streams.set(new Streams());
        open(b);

        for (RunningSluice either : List.of(a, b)) {
            ContentResponse third = post(either, STREAMS, STREAM);
            assertEquals(429, third.getStatus(), third.getContentAsString());
            assertEquals("2 streams are open already, the most this client may have at once",
                    message(third));
        }
        firstOnly.finish(); // its instance gives its lease back: the other may open one again
        assertEquals(SseEvent.of("[DONE]"), first.rest().getLast());
        assertEventually(() -> status(b, STREAMS, WHOLE) == 200, "a released lease was held");
    }

    @Test
    void requestsPerMinuteAreCountedTogether() throws Exception {
        RunningSluice a = sluice(Duration.ofSeconds(30));
        RunningSluice b = sluice(Duration.ofSeconds(30));
        assertEquals(200, post(a, RATED, WHOLE).getStatus());
        assertEquals(200, post(b, RATED, WHOLE).getStatus());
        assertEquals(200, post(a, RATED, WHOLE).getStatus());
        for (RunningSluice either : List.of(b, a)) {
            ContentResponse fourth = post(either, RATED, WHOLE);
            assertEquals(429, fourth.getStatus(), fourth.getContentAsString());
            assertEquals("more than 3 requests per minute", message(fourth));
            assertTrue(Integer.parseInt(fourth.getHeaders().get("Retry-After")) >= 1);
        }
    }

    @Test
    void redisKeysNameAHashOfTheCallerNotTheCaller() throws Exception {
        RunningSluice a = sluice(Duration.ofSeconds(30));
        open(a);
        assertEquals(200, post(a, RATED, WHOLE).getStatus());
        assertEquals(200, post(a, BUDGETED, WHOLE).getStatus());
        String keys = redis.cli("-a", PASSWORD, "--no-auth-warning", "--scan");
        for (String name : List.of("two-streams", "three-a-minute", "fifty-tokens")) {
            assertFalse(keys.contains(name), keys);
            assertTrue(keys.contains("sluice:{caller:" + sha256("client:" + name) + "}:"),
                    keys);
        }
    }

    @Test
    void aBudgetSpentThroughOneInstanceIsSpentOnAnother() throws Exception {
        RunningSluice a = sluice(Duration.ofSeconds(30));
        RunningSluice b = sluice(Duration.ofSeconds(30));
        assertEquals(200, post(a, BUDGETED, WHOLE).getStatus()); // 53 of 50 tokens
        ContentResponse refused = post(b, BUDGETED, WHOLE);
        assertEquals(429, refused.getStatus(), refused.getContentAsString());
        assertEquals("the daily budget of 50 tokens is used up", message(refused));
    }

    @Test
    void withRedisKilledStreamsGoOnLimitsAreCountedAloneAndBudgetsRefusedUntilItIsBack()
            throws Exception {
        RunningSluice a = sluice(Duration.ofSeconds(2));
        RunningSluice b = sluice(Duration.ofSeconds(2));
        Streams early = streams.get();
        TestClient.Stream inFlight = open(a);

        redis.kill();

        ContentResponse budget = post(b, BUDGETED, WHOLE);
        assertEquals(503, budget.getStatus(), budget.getContentAsString());
        assertEquals("service_unavailable", JSON.readTree(budget.getContent()).path("error")
                .path("type").asText());
        // Counted by b alone now: b has none of the client's streams open, a has one.
        TestClient.Stream second = open(b);
        streams.set(new Streams());
        open(b); // open until the end of the test, across Redis's return
        assertEquals(429, post(b, STREAMS, STREAM).getStatus(), "b counts its own two");
        String metrics = client.get(b.uri("/metrics")).getContentAsString();
        assertTrue(metrics.contains("sluice_shared_fallbacks_total{action=\"local\","
                + "quota=\"limits\"}"), metrics);
        assertTrue(metrics.contains("sluice_shared_fallbacks_total{action=\"refused\","
                + "quota=\"budget\"}"), metrics);
        assertTrue(metrics.contains("sluice_redis_errors_total"), metrics);
        ContentResponse ready = client.get(b.uri("/readyz"));
        assertEquals(200, ready.getStatus());
        assertEquals("{\"status\":\"ok\",\"redis\":\"unavailable\"}", ready.getContentAsString());
        assertEquals(200, client.get(b.uri("/healthz")).getStatus());

        early.finish();
        for (TestClient.Stream stream : List.of(inFlight, second)) {
            assertEquals(SseEvent.of("[DONE]"), stream.rest().getLast(), "a stream was cut");
        }
        a.assertNoStreamLeftOpen();

        redis.startAgain();
        assertEventually(() -> status(b, BUDGETED, WHOLE) == 200,
                "budgets were not counted again once Redis was back");
        // Each instance reconnects on its own: a answers 503 until it has, then b's spend counts.
        assertEventually(() -> status(a, BUDGETED, WHOLE) == 429, "b's spend is not a's");
        assertEquals("{\"status\":\"ok\",\"redis\":\"ok\"}",
                client.get(b.uri("/readyz")).getContentAsString());
        // b renews the lease of the stream it opened while Redis was away into the new one:
        // with one more open on a, the client has its two.
        open(a);
        assertEventually(() -> status(a, STREAMS, WHOLE) == 429, "streams are not shared again");
    }

    private int status(RunningSluice sluice, String token, String body) {
        try {
            return post(sluice, token, body).getStatus();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theRedisPasswordAppearsInNoAnswerMetricOrLog() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        root.addAppender(logged);
        closing.add(() -> root.detachAppender(logged));
        RunningSluice a = sluice(Duration.ofSeconds(2));
        assertEquals(200, post(a, STREAMS, WHOLE).getStatus());
        redis.kill();
        StringBuilder seen = new StringBuilder();
        seen.append(post(a, BUDGETED, WHOLE).getContentAsString());
        seen.append(post(a, STREAMS, WHOLE).getContentAsString());
        seen.append(client.get(a.uri("/readyz")).getContentAsString());
        seen.append(client.get(a.uri("/metrics")).getContentAsString());
        seen.append(a.config().describe());
        seen.append(a.config().sharing());
        assertEventually(() -> logged.list.stream().anyMatch(e -> e.getFormattedMessage()
                .contains("does not answer")), "the outage was not logged");
        for (ILoggingEvent event : List.copyOf(logged.list)) {
            seen.append(event.getFormattedMessage());
            for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
                seen.append(t.getMessage());
            }
        }
        assertFalse(seen.toString().contains(PASSWORD), seen.toString());
        assertTrue(seen.toString().contains(new Secret(PASSWORD).fingerprint()), "the start-up "
                + "description names the password by its fingerprint");
    }

    /** Polls {@code condition} for up to 10 s. */
    static void assertEventually(Supplier<Boolean> condition, String failure)
            throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.get()) {
            if (System.nanoTime() > end) {
                throw new AssertionError(failure);
            }
            Thread.sleep(50); // a poll's pace, not a wait for an event
        }
    }
}
