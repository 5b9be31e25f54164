package dev.sluice.shared;

import static dev.sluice.testing.ReleasedEvents.take;
import static dev.sluice.testing.ReleasedEvents.whole;
import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Resume;
import dev.sluice.config.Secret;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RedisServer;
import dev.sluice.testing.ReleasedEvents;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.SharedRig;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The appends of resumable streams in a real redis-server: an event reaches its client only once
 * Redis has taken it, the appends that wait while a batch is out go together as the next one,
 * and an event's bytes are kept as they came.
 */
class GroupCommitTest {

    private static final String CHAT = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String ALICE = "slc_commit-alice-0123456789";
    /** Long, so that an append held by a paused Redis waits for it rather than giving up. */
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String APPEND_BATCHES =
            "sluice_redis_calls_seconds_count{call=\"append\",outcome=\"ok\"} ";

    @RegisterExtension
    final SharedRig rig = new SharedRig();
    private RedisServer redis;
    private TestClient client;

    @BeforeEach
    void start() {
        redis = rig.redis();
        client = rig.client();
    }


    private RunningSluice sluice(FakeUpstream upstream) throws Exception {
        RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(upstream.baseUrl(),
                new Secret(RunningSluice.KEY)).resumable().resume(Resume.DEFAULTS)
                .access(new Access(Map.of(sha256(ALICE),
                        new Client("alice", Set.of(), Set.of(), 0, 0, 0)), null, null, Set.of()))
                .sharing(SharedRig.sharing(redis.port(), TIMEOUT, TIMEOUT.multipliedBy(4)))
                .build());
        rig.closing(sluice);
        return sluice;
    }

    /** An upstream that answers its n-th stream with the n-th script. */
    private FakeUpstream upstream(List<ReleasedEvents> scripts) throws Exception {
        AtomicInteger next = new AtomicInteger();
        FakeUpstream upstream = new FakeUpstream(exchange -> scripts.get(next.getAndIncrement())
                .answer(exchange));
        rig.closing(upstream);
        return upstream;
    }

    private TestClient.Stream open(RunningSluice sluice) throws Exception {
        TestClient.Stream stream = client.stream(sluice.uri("/v1/chat/completions"), CHAT,
                "Authorization", "Bearer " + ALICE);
        assertEquals(200, stream.response().getStatus());
        rig.closing(stream);
        return stream;
    }

    private static String id(TestClient.Stream stream) {
        return stream.response().getHeaders().get("X-Sluice-Stream-Id");
    }

    /** Takes the stream's next event on a thread of its own, into {@code arrived}. */
    private static void takeNext(TestClient.Stream stream, long after,
            BlockingQueue<String> arrived) {
        Thread.ofVirtual().start(() -> {
            try {
                arrived.add(take(stream, id(stream), after, 1).getFirst());
            } catch (IOException | AssertionError e) {
                arrived.add("failed: " + e.getMessage());
            }
        });
    }

    private double appendBatches(RunningSluice sluice) throws Exception {
        return client.get(sluice.uri("/metrics")).getContentAsString().lines()
                .filter(line -> line.startsWith(APPEND_BATCHES))
                .mapToDouble(line -> Double.parseDouble(line.substring(APPEND_BATCHES.length())))
                .sum();
    }

    @Test
    void anEventReachesItsClientOnlyOnceRedisHasTakenIt() throws Exception {
        ReleasedEvents script = new ReleasedEvents(2);
        RunningSluice sluice = sluice(upstream(List.of(script)));
        TestClient.Stream stream = open(sluice);
        script.release(1);
        take(stream, id(stream), 0, 1);

        redis.pause();
        script.release(1);
        BlockingQueue<String> arrived = new LinkedBlockingQueue<>();
        takeNext(stream, 1, arrived);
        // Before, an append waited 10 ms for Redis and then went on to the client.
        assertNull(arrived.poll(500, TimeUnit.MILLISECONDS),
                "the event reached its client while Redis did not have it");
        redis.resume();
        assertEquals(whole(2).get(1), arrived.poll(10, TimeUnit.SECONDS));
        assertTrue(redis.cli("XRANGE", "sluice:{stream:" + id(stream) + "}:log", "2-0", "2-0")
                .contains("t2"), "the event the client has is not in Redis");
        script.release(1);
    }

    @Test
    void theAppendsThatWaitWhileABatchIsOutGoTogetherAsTheNext() throws Exception {
        int streams = 6;
        List<ReleasedEvents> scripts = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            scripts.add(new ReleasedEvents(2));
        }
        RunningSluice sluice = sluice(upstream(scripts));
        List<TestClient.Stream> opened = new ArrayList<>();
        for (ReleasedEvents script : scripts) {
            TestClient.Stream stream = open(sluice);
            script.release(1);
            take(stream, id(stream), 0, 1);
            opened.add(stream);
        }
        double before = appendBatches(sluice);

        redis.pause();
        BlockingQueue<String> arrived = new LinkedBlockingQueue<>();
        for (int i = 0; i < streams; i++) {
            scripts.get(i).release(1);
            takeNext(opened.get(i), 1, arrived);
        }
        assertNull(arrived.poll(500, TimeUnit.MILLISECONDS),
                "an event reached its client while Redis did not have it");
        redis.resume();
        List<String> second = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            String data = arrived.poll(10, TimeUnit.SECONDS);
            assertNotNull(data, "the events held for Redis did not all come");
            second.add(data);
        }
        assertEquals(List.of(whole(2).get(1)), second.stream().distinct().toList());
        double batches = appendBatches(sluice) - before;
        // The first held append went alone; those after it waited, and went as one batch.
        assertTrue(batches >= 1 && batches < streams, batches + " batches for " + streams
                + " appends");
        scripts.forEach(script -> script.release(1));
    }

    @Test
    void anEventsBytesAreKeptInRedisAsTheyCame() throws Exception {
        String text = "caf\u00e9 \ud83d\ude42";
        String event = "data: {\"choices\":[{\"delta\":{\"content\":\"" + text + "\"}}]}\n\n";
        FakeUpstream upstream = new FakeUpstream(exchange -> {
            exchange.startStream();
            exchange.write(event.getBytes(StandardCharsets.UTF_8));
            exchange.write("data: [DONE]\n\n").end();
        });
        rig.closing(upstream);
        RunningSluice a = sluice(upstream);
        RunningSluice b = sluice(upstream);
        TestClient.Stream stream = open(a);
        String id = id(stream);
        byte[] relayed = stream.restBytes();

        // redis-cli writes the value's bytes as they are: before, each byte above 127 was
        // kept as a character of its own, two bytes in Redis.
        String kept = redis.cli("XRANGE", "sluice:{stream:" + id + "}:log", "1-0", "1-0");
        assertTrue(kept.contains(text), kept);
        try (TestClient.Stream resumed = client.streamGet(a.uri("/v1/streams/" + id),
                "Authorization", "Bearer " + ALICE, "Last-Event-ID", id + ":0")) {
            assertTrue(new String(resumed.restBytes(), StandardCharsets.UTF_8).contains(text));
        }
        try (TestClient.Stream resumed = client.streamGet(b.uri("/v1/streams/" + id),
                "Authorization", "Bearer " + ALICE, "Last-Event-ID", id + ":0")) {
            String replay = new String(resumed.restBytes(), StandardCharsets.UTF_8);
            assertTrue(new String(relayed, StandardCharsets.UTF_8).contains(text));
            assertTrue(replay.contains(text), replay);
        }
    }
}
