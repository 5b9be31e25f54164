package dev.sluice.shared;

import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Sharing;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RedisServer;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.Streams;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real redis-server that hangs (SIGSTOP: it keeps its connections and answers nothing): after
 * a few calls it did not answer in time, admissions stop waiting for it and fall back at once,
 * and once it answers again a probe finds it and admissions go to it again.
 */
class HungRedisTest {

    private static final String RATED = "slc_hung-rated-0123456789";
    private static final String WHOLE = "{\"model\":\"m\",\"stream\":false,\"messages\":[]}";
    /** Calls in a row that Redis does not answer before the breaker opens (Breaker.TIMEOUTS). */
    private static final int TIMEOUTS = 3;
    private static final String FAILED_ADMISSIONS =
            "sluice_redis_calls_seconds_count{call=\"admit\",outcome=\"failed\"} ";
    private static final String ADMISSIONS =
            "sluice_redis_calls_seconds_count{call=\"admit\",outcome=\"ok\"} ";
    private static final String SKIPPED_ADMISSIONS = "sluice_redis_skipped_total{call=\"admit\"} ";

    private RedisServer redis;
    private FakeUpstream upstream;
    private RunningSluice sluice;
    private TestClient client;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        upstream = new FakeUpstream(new Streams());
        client = new TestClient();
        sluice = new RunningSluice(TestConfig.relayingTo(upstream.baseUrl(), null)
                .access(new Access(Map.of(sha256(RATED),
                        new Client("rated", Set.of(), Set.of(), 0, 10_000, 0)), null, null,
                        Set.of()))
                .sharing(new Sharing("127.0.0.1", redis.port(), false, 0, null, null, "sluice:",
                        Duration.ofMillis(250), Duration.ofSeconds(30), true, false))
                .build());
    }

    @AfterEach
    void stop() throws Exception {
        if (redis == null) {
            return; // skipped: no redis-server here, so nothing else was started
        }
        redis.resume(); // if a test that failed left it paused
        client.close();
        sluice.close();
        upstream.close();
        redis.close();
    }

    private double metric(String line) throws Exception {
        return client.get(sluice.uri("/metrics")).getContentAsString().lines()
                .filter(each -> each.startsWith(line))
                .mapToDouble(each -> Double.parseDouble(each.substring(line.length()))).sum();
    }

    private void admitted() throws Exception {
        assertEquals(200, client.post(sluice.uri("/v1/chat/completions"), WHOLE,
                "Authorization", "Bearer " + RATED).getStatus());
    }

    @Test
    void aHungRedisCostsAFewAdmissionsItsTimeoutThenNoneWaitForItUntilItAnswers()
            throws Exception {
        admitted();
        double counted = metric(ADMISSIONS);
        assertTrue(counted >= 1, "the admission was not counted in Redis");

        redis.pause();
        int requests = 8;
        for (int i = 0; i < requests; i++) {
            admitted(); // counted by this instance alone: SLUICE_REDIS_LIMITS_FAIL_OPEN
        }
        double waited = metric(FAILED_ADMISSIONS);
        // Before, each of the eight waited out the 250 ms timeout.
        assertTrue(waited >= 1 && waited <= TIMEOUTS, waited + " admissions waited for Redis");
        assertTrue(metric(SKIPPED_ADMISSIONS) >= requests - TIMEOUTS,
                "the admissions after the timeouts were not failed at once");

        redis.resume();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!client.get(sluice.uri("/readyz")).getContentAsString()
                .contains("\"redis\":\"ok\"")) {
            assertTrue(System.nanoTime() < end, "no probe found Redis back");
            TimeUnit.MILLISECONDS.sleep(50); // a poll of the probe's pace, not a wait
        }
        admitted();
        assertTrue(metric(ADMISSIONS) > counted, "admissions did not go to Redis again");
    }
}
