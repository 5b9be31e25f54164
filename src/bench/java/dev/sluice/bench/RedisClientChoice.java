package dev.sluice.bench;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import jdk.jfr.consumer.RecordingStream;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;

/**
 * How Lettuce and Jedis do Sluice's admission round trip (the admit script by its SHA, then the
 * lease's release) from many virtual threads at once against a local redis-server: throughput,
 * latency percentiles and carrier pinning (JFR's jdk.VirtualThreadPinned, any duration). Starts
 * its own redis-server on a free loopback port and stops it. {@code java -cp ...
 * dev.sluice.bench.RedisClientChoice [threads] [round trips each] [jedis pool size]}.
 */
public final class RedisClientChoice {

    private RedisClientChoice() {}

    /** One admission and its release, as a client library does them. */
    private interface RoundTrip {
        void run(String client, String lease);
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int each = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        int pool = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        String script;
        try (InputStream in = RedisClientChoice.class.getResourceAsStream(
                "/dev/sluice/access/admit.lua")) {
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Path dir = Files.createTempDirectory("redis-bench");
        Process redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
                dir.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile()).start();
        try {
            RedisURI uri = RedisURI.create("127.0.0.1", port);
            uri.setTimeout(Duration.ofSeconds(1));
            RedisClient lettuce = RedisClient.create(uri);
            try (StatefulRedisConnection<String, String> connection = lettuce.connect()) {
                RedisCommands<String, String> sync = connection.sync();
                String sha = sync.scriptLoad(script);
                measure("lettuce (one shared connection)", threads, each, (client, lease) -> {
                    String[] keys = keys(client);
                    List<Long> answer = sync.evalsha(sha, ScriptOutputType.MULTI, keys,
                            "0", "0", "0", lease, "30000");
                    if (answer.getFirst() != 0) {
                        throw new IllegalStateException("refused: " + answer);
                    }
                    sync.zrem(keys[0], lease);
                });
            } finally {
                lettuce.shutdown();
            }
            for (int size : new int[] {8, pool, threads}) {
                ConnectionPoolConfig config = new ConnectionPoolConfig();
                config.setMaxTotal(size);
                config.setMaxIdle(size);
                try (JedisPooled jedis = new JedisPooled(config, new HostAndPort("127.0.0.1",
                        port), DefaultJedisClientConfig.builder().timeoutMillis(1000).build())) {
                    String sha = jedis.scriptLoad(script);
                    measure("jedis (pool of " + size + ")", threads, each, (client, lease) -> {
                        String[] keys = keys(client);
                        Object answer = jedis.evalsha(sha, Arrays.asList(keys), List.of(
                                "0", "0", "0", lease, "30000"));
                        if (((List<?>) answer).getFirst() instanceof Long refused
                                && refused != 0) {
                            throw new IllegalStateException("refused: " + answer);
                        }
                        jedis.zrem(keys[0], lease);
                    });
                }
            }
        } finally {
            redis.destroy();
            redis.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String[] keys(String client) {
        String tag = "bench:{" + client + "}:";
        return new String[] {tag + "leases", tag + "bucket", tag + "day"};
    }

    private static void measure(String name, int threads, int each, RoundTrip trip)
            throws Exception {
        run(threads, Math.max(1, each / 5), trip, () -> null); // warm-up
        AtomicLong pinned = new AtomicLong();
        try (RecordingStream jfr = new RecordingStream()) {
            jfr.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO);
            jfr.onEvent("jdk.VirtualThreadPinned", event -> pinned.incrementAndGet());
            jfr.startAsync();
            long[] nanos = new long[threads * each];
            long start = System.nanoTime();
            run(threads, each, trip, () -> nanos);
            double seconds = (System.nanoTime() - start) / 1e9;
            jfr.stop();
            Arrays.sort(nanos);
            System.out.printf("%-34s %,9.0f round trips/s  p50 %6.2f ms  p99 %6.2f ms  "
                    + "max %7.2f ms  pinned %d%n", name, nanos.length / seconds,
                    nanos[nanos.length / 2] / 1e6, nanos[(int) (nanos.length * 0.99)] / 1e6,
                    nanos[nanos.length - 1] / 1e6, pinned.get());
        }
    }

    private static void run(int threads, int each, RoundTrip trip, Supplier<long[]> record)
            throws Exception {
        long[] nanos = record.get();
        CountDownLatch go = new CountDownLatch(1);
        List<Throwable> failures = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < each; i++) {
                        long begin = System.nanoTime();
                        try {
                            trip.run("client:" + (thread % 100), "bench:" + thread + ":" + i);
                        } catch (RuntimeException e) {
                            synchronized (failures) {
                                failures.add(e);
                            }
                        }
                        if (nanos != null) {
                            nanos[thread * each + i] = System.nanoTime() - begin;
                        }
                    }
                    return null;
                });
            }
            go.countDown();
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException(failures.size() + " round trips failed",
                    failures.getFirst());
        }
    }
}
