package dev.sluice.shared;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Resume;
import dev.sluice.config.Secret;
import dev.sluice.redis.Script;
import dev.sluice.resume.SharedStreams;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.HoldingProxy;
import dev.sluice.testing.RedisServer;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.SharedRig;
import dev.sluice.testing.Streams;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import dev.sluice.testing.Tokens;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Reads of resumable streams' logs in a real redis-server, with events of a megabyte and more:
 * each look is bounded by bytes and a larger entry read alone, so such a stream resumes within
 * the default Redis timeout; and log reads have a connection of their own, so neither readers
 * looping over a large log nor a read that Redis never answers holds up admissions.
 */
class SharedLogReadsTest {

    private static final String READER = "slc_log-reader-0123456789";
    private static final String BUDGETED = "slc_log-budgeted-0123456789";
    private static final String CHAT = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String WHOLE = "{\"model\":\"m\",\"stream\":false,\"messages\":[]}";
    /** An event of about a megabyte, under the default SLUICE_MAX_LINE_BYTES (1 MiB). */
    private static final int EVENT_BYTES = 1_000_000;
    /** An event of a quarter of a megabyte: a look takes four. */
    private static final int QUARTER_EVENT_BYTES = 250_000;
    /** An event longer than SLUICE_MAX_LINE_BYTES, so longer than a look reads. */
    private static final int LARGE_EVENT_BYTES = 3_000_000;

    @RegisterExtension
    final SharedRig rig = new SharedRig();
    private RedisServer redis;
    private TestClient client;

    @BeforeEach
    void start() {
        redis = rig.redis();
        client = rig.client();
    }


    /**
     * The upstream: a stream of {@code events} chunks of about {@code bytes} each, then
     * {@code [DONE]}; a request that does not ask for a stream gets a completion at once.
     */
    private FakeUpstream upstream(int events, int bytes) throws Exception {
        FakeUpstream upstream = new FakeUpstream(exchange -> {
            if (!exchange.request().bodyText().contains("\"stream\":true")) {
                exchange.respond(200, "application/json", Streams.COMPLETION);
                return;
            }
            exchange.startStream();
            for (int i = 1; i <= events; i++) {
                exchange.write(event(i, bytes));
            }
            exchange.write("data: [DONE]\n\n").end();
        });
        rig.closing(upstream);
        return upstream;
    }

    /**
     * Chunk {@code i} of about {@code bytes} in UTF-8: its content varies with i and holds bytes
     * above 127 (an é in about 70 bytes), each of which Redis keeps in two, so that an event of
     * a megabyte takes under 1 MiB there: one look's worth.
     */
    private static String event(int i, int bytes) {
        StringBuilder content = new StringBuilder(bytes);
        String unit = "t" + i + " caf\u00e9: every event of this stream is long, and each one "
                + "differs. ";
        int unitBytes = unit.getBytes(StandardCharsets.UTF_8).length;
        for (int length = 0; length + unitBytes < bytes - 100; length += unitBytes) {
            content.append(unit);
        }
        return "data: {\"choices\":[{\"delta\":{\"content\":\"" + content + "\"}}]}\n\n";
    }

    private RunningSluice sluice(FakeUpstream upstream) throws Exception {
        return sluice(upstream, redis.port(), Duration.ofMillis(250));
    }

    /**
     * Sluice whose calls to Redis may take 5 s: a look is as large as under the default 250 ms
     * (any timeout over 128 ms gives the whole look), but whether a megabyte's look lands
     * within 250 ms is up to a busy machine's scheduling, which the benchmark measures, not this.
     */
    private RunningSluice patientSluice(FakeUpstream upstream) throws Exception {
        return sluice(upstream, redis.port(), Duration.ofSeconds(5));
    }

    /** Sluice sharing the redis-server, reached on {@code redisPort} (a proxy's, say). */
    private RunningSluice sluice(FakeUpstream upstream, int redisPort, Duration timeout)
            throws Exception {
        RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(upstream.baseUrl(),
                new Secret(RunningSluice.KEY)).resumable().resume(Resume.DEFAULTS)
                .access(new Access(Map.of(
                        Tokens.sha256(READER),
                        new Client("reader", Set.of(), Set.of(), 0, 0, 0),
                        Tokens.sha256(BUDGETED),
                        new Client("budgeted", Set.of(), Set.of(), 0, 10_000, 1_000_000_000)),
                        null, null, Set.of()))
                .sharing(SharedRig.sharing(redisPort, timeout, Duration.ofSeconds(30)))
                .build());
        rig.closing(sluice);
        return sluice;
    }

    /** The stream read whole where it is relayed: its id, and its bytes after the priming id. */
    private record Relayed(String id, byte[] events) {}

    private Relayed relayWhole(RunningSluice sluice) throws Exception {
        try (TestClient.Stream stream = client.stream(sluice.uri("/v1/chat/completions"), CHAT,
                "Authorization", "Bearer " + READER)) {
            assertEquals(200, stream.response().getStatus());
            String id = stream.response().getHeaders().get("X-Sluice-Stream-Id");
            assertEquals("id: " + id + ":0\n\n", stream.rawBlock(), "the priming id");
            return new Relayed(id, stream.restBytes());
        }
    }

    private TestClient.Stream resume(RunningSluice sluice, String id) throws Exception {
        return client.streamGet(sluice.uri("/v1/streams/" + id), "Authorization",
                "Bearer " + READER, "Last-Event-ID", id + ":0");
    }

    @Test
    void aStreamOfSixtyMegabyteEventsResumesWholeFromTheStartOnAnotherInstance()
            throws Exception {
        FakeUpstream upstream = upstream(60, EVENT_BYTES);
        RunningSluice a = patientSluice(upstream);
        RunningSluice b = patientSluice(upstream);
        Relayed relayed = relayWhole(a);
        assertTrue(relayed.events().length > 60 * (EVENT_BYTES - 100), "cut short");

        try (TestClient.Stream resumed = resume(b, relayed.id())) {
            assertEquals(200, resumed.response().getStatus());
            byte[] replayed = resumed.restBytes();
            assertEquals(relayed.events().length, replayed.length, "the replay's length");
            assertArrayEquals(relayed.events(), replayed, "the replay is not the stream");
        }
        assertFalse(metrics(b).contains("call=\"entry\""), "an event was read alone");
        String end = "data: [DONE]\nid: " + relayed.id() + ":61\n\n";
        String tail = new String(relayed.events(), relayed.events().length - end.length(),
                end.length(), StandardCharsets.UTF_8);
        assertEquals(end, tail, "the stream's end");
    }

    @Test
    void eventsLongerThanALookResumeWholeEachReadAlone() throws Exception {
        FakeUpstream upstream = upstream(12, LARGE_EVENT_BYTES);
        RunningSluice a = patientSluice(upstream);
        RunningSluice b = patientSluice(upstream);
        Relayed relayed = relayWhole(a);
        assertTrue(relayed.events().length > 12 * (LARGE_EVENT_BYTES - 100), "cut short");

        try (TestClient.Stream resumed = resume(b, relayed.id())) {
            assertEquals(200, resumed.response().getStatus());
            assertArrayEquals(relayed.events(), resumed.restBytes(), "the replay is not the "
                    + "stream");
        }
        // Each read alone: 12, and the first once more by the check before the answer.
        String entries = "sluice_redis_calls_seconds_count{call=\"entry\",outcome=\"ok\"} ";
        assertTrue(metrics(b).lines().anyMatch(line -> line.startsWith(entries)
                && Double.parseDouble(line.substring(entries.length())) >= 12),
                "each long event was not read alone");
    }

    @Test
    void aLogReadRedisDoesNotAnswerHoldsUpNoAdmission() throws Exception {
        String look = Script.listOf(SharedStreams.class, "look", "look.lua").sha();
        HoldingProxy proxy = new HoldingProxy(redis.port(), look);
        rig.closing(proxy);
        RunningSluice a = sluice(upstream(2, 100), proxy.port(), Duration.ofMillis(250));
        String id = relayWhole(a).id();

        proxy.hold();
        try (TestClient.Stream resumed = resume(a, id)) {
            assertEquals(503, resumed.response().getStatus(), "the look was answered");
        }
        List<String> refused = admitForty(a);
        assertEquals(List.of(), refused, "admissions refused while a log read hung");
        assertNoFallback(a);
    }

    /** Forty requests of the budgeted caller: the answers of those not admitted. */
    private List<String> admitForty(RunningSluice sluice) throws Exception {
        List<String> refused = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            ContentResponse response = client.post(sluice.uri("/v1/chat/completions"), WHOLE,
                    "Authorization", "Bearer " + BUDGETED);
            if (response.getStatus() != 200) {
                refused.add(response.getStatus() + " " + response.getContentAsString());
            }
        }
        return refused.size() <= 2 ? refused : List.of(refused.size() + " refused, the first: "
                + refused.getFirst());
    }

    private String metrics(RunningSluice sluice) throws Exception {
        return client.get(sluice.uri("/metrics")).getContentAsString();
    }

    /** Every admission was counted in Redis: none fell back to this instance's own count. */
    private void assertNoFallback(RunningSluice sluice) throws Exception {
        String metrics = metrics(sluice);
        assertFalse(metrics.contains("sluice_shared_fallbacks_total{"), metrics);
        // The 40 requests, and the resumes, which are metered too.
        String admitted = "sluice_shared_admissions_total{outcome=\"admitted\"} ";
        double count = metrics.lines().filter(line -> line.startsWith(admitted))
                .mapToDouble(line -> Double.parseDouble(line.substring(admitted.length())))
                .findFirst().orElse(0);
        assertTrue(count >= 40, metrics);
    }

    @Test
    void readersLoopingOverATwentyMegabyteLogLeaveABudgetedCallersAdmissionsAlone()
            throws Exception {
        RunningSluice a = sluice(upstream(80, QUARTER_EVENT_BYTES));
        String id = relayWhole(a).id();

        int loops = 6;
        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicInteger resumed = new AtomicInteger();
        CountDownLatch answered = new CountDownLatch(loops);
        BlockingQueue<Throwable> failures = new LinkedBlockingQueue<>();
        List<Thread> readers = new ArrayList<>();
        for (int i = 0; i < loops; i++) {
            readers.add(Thread.ofVirtual().name("log-reader").start(() -> {
                try (TestClient own = new TestClient()) {
                    while (flooding.get()) {
                        // Each new reader ends the one before: a reader cut short loops again.
                        try (TestClient.Stream stream = own.streamGet(
                                a.uri("/v1/streams/" + id), "Authorization", "Bearer " + READER,
                                "Last-Event-ID", id + ":0")) {
                            answered.countDown();
                            if (stream.response().getStatus() == 200) {
                                resumed.incrementAndGet();
                            }
                            stream.restBytes();
                        } catch (IOException e) {
                            // taken over mid-read: the next resume begins at once
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        assertTrue(answered.await(30, TimeUnit.SECONDS), "the readers never got an answer");

        List<String> refused = admitForty(a);
        flooding.set(false);
        for (Thread reader : readers) {
            assertTrue(reader.join(Duration.ofSeconds(30)), "a reader did not stop");
        }
        assertEquals(null, failures.peek());

        assertEquals(List.of(), refused, "admissions refused while readers looped");
        assertNoFallback(a);
        assertTrue(resumed.get() >= loops, "the readers were refused: " + resumed.get());
    }
}
