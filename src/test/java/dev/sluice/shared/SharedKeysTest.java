package dev.sluice.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.Policy;
import dev.sluice.config.Retries;
import dev.sluice.config.Route;
import dev.sluice.config.Secret;
import dev.sluice.config.Serving;
import dev.sluice.config.Sharing;
import dev.sluice.testing.DeadUpstream;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RedisServer;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Instances sharing one redis-server share what the provider said of each key: a key that one
 * instance saw throttled or refused is skipped by the others, and by an instance started later;
 * an upstream that one instance found failing is skipped by the others too.
 */
class SharedKeysTest {

    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String K1 = "sk-shared-one-Vb7nQ2xM5kL9pR3t";
    private static final String K2 = "sk-shared-two-Hd4sW8yN1jF6gT2z";

    private final List<AutoCloseable> closing = new ArrayList<>();
    /** The keys the upstream was called with, in order. */
    private final List<String> calls = new CopyOnWriteArrayList<>();
    /** How the upstream answers K1: 429 or 401. */
    private volatile int k1Status;
    private RedisServer redis;
    private FakeUpstream upstream;
    private TestClient client;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start("--requirepass", SharedLimitsTest.PASSWORD);
        upstream = new FakeUpstream(exchange -> {
            String key = exchange.request().headers().get("authorization").substring(7);
            calls.add(key);
            if (key.equals(K1)) {
                exchange.respond(k1Status, "application/json",
                        "{\"error\":{\"message\":\"not now\"}}", "Retry-After", "60");
            } else {
                exchange.startStream().write("data: [DONE]\n\n").end();
            }
        });
        client = new TestClient();
    }

    @AfterEach
    void stop() throws Exception {
        if (redis == null) {
            return; // skipped: no redis-server here
        }
        client.close();
        for (AutoCloseable each : closing.reversed()) {
            each.close();
        }
        upstream.close();
        redis.close();
    }

    private RunningSluice sluice() throws Exception {
        RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(upstream.baseUrl(), null)
                .keys(new Secret(K1), new Secret(K2))
                .sharing(new Sharing("127.0.0.1", redis.port(), false, 0, null,
                        new Secret(SharedLimitsTest.PASSWORD), "sluice:", Duration.ofSeconds(5),
                        Duration.ofSeconds(20), true, false))
                .build());
        closing.add(sluice);
        return sluice;
    }

    private void streamed(RunningSluice sluice) throws Exception {
        ContentResponse response = client.post(sluice.uri("/v1/chat/completions"), STREAM);
        assertEquals(200, response.getStatus(), response.getContentAsString());
    }

    /** Waits (bounded) until {@code sluice}'s metrics show {@code gauge} at 1 for K1. */
    private void awaitK1(RunningSluice sluice, String gauge) throws Exception {
        String line = "sluice_upstream_key_" + gauge + "{key=\"" + new Secret(K1).fingerprint()
                + "\",route=\"openai\"} 1.0";
        URI metrics = sluice.uri("/metrics");
        for (int i = 0; i < 500; i++) {
            if (client.get(metrics).getContentAsString().contains(line)) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("never saw " + line);
    }

    private long k1Calls() {
        return calls.stream().filter(K1::equals).count();
    }

    @Test
    void aKeyThrottledOnOneInstanceRestsOnEvery() throws Exception {
        k1Status = 429;
        RunningSluice a = sluice();
        RunningSluice b = sluice();

        streamed(a); // K1 first in turn: 429, then K2
        assertEquals(List.of(K1, K2), calls);
        awaitK1(b, "resting");
        for (int i = 0; i < 4; i++) {
            streamed(b);
        }
        // Started after the 429: it reads the rest from Redis before its first request.
        RunningSluice c = sluice();
        for (int i = 0; i < 4; i++) {
            streamed(c);
        }

        assertEquals(1, k1Calls(), calls::toString);
        assertEquals(10, calls.size(), calls::toString);
    }

    @Test
    void anUpstreamFailingOnOneInstanceIsSkippedByEvery() throws Exception {
        try (DeadUpstream dead = new DeadUpstream()) {
            URI deadUrl = dead.baseUrl();
            Route backup = new Route("backup", "/backup", upstream.baseUrl(), "openai-chat",
                    new Secret(K2), Policy.NONE).serving(new Serving(null, Map.of(), List.of(),
                            false));
            List<RunningSluice> both = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(deadUrl,
                        new Secret(K1)).serving(new Serving(null, Map.of(), List.of("backup"),
                                true)).route(backup)
                        .retries(new Retries(0, Duration.ofMillis(10), Duration.ofSeconds(1), 3,
                                Duration.ofMinutes(10)))
                        .sharing(new Sharing("127.0.0.1", redis.port(), false, 0, null,
                                new Secret(SharedLimitsTest.PASSWORD), "sluice:",
                                Duration.ofSeconds(5), Duration.ofSeconds(20), true, false))
                        .build());
                closing.add(sluice);
                both.add(sluice);
            }

            for (int i = 0; i < 3; i++) {
                streamed(both.get(0));
            }
            assertEquals(3, dead.accepted(), "three failures in a row on the first instance");
            awaitSkipped(both.get(1));
            for (int i = 0; i < 5; i++) {
                streamed(both.get(1));
            }

            assertEquals(3, dead.accepted(), "the second instance never called it");
            assertEquals(8, calls.size(), "all eight served by the backup");
        }
    }

    /** Waits (bounded) until {@code sluice}'s metrics show its openai upstream skipped. */
    private void awaitSkipped(RunningSluice sluice) throws Exception {
        URI metrics = sluice.uri("/metrics");
        for (int i = 0; i < 500; i++) {
            if (client.get(metrics).getContentAsString()
                    .contains("sluice_upstream_skipped{route=\"openai\"} 1.0")) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the second instance never skipped the upstream");
    }

    @Test
    void aKeyRefusedOnOneInstanceIsOutOnEvery() throws Exception {
        k1Status = 401;
        RunningSluice a = sluice();
        RunningSluice b = sluice();

        streamed(a);
        awaitK1(b, "out");
        for (int i = 0; i < 4; i++) {
            streamed(b);
        }

        assertEquals(1, k1Calls(), calls::toString);
        assertEquals(6, calls.size(), calls::toString);
    }
}
