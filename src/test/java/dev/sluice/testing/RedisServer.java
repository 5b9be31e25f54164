package dev.sluice.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's redis-server on a free loopback port for a test, without persistence, in a directory
 * of its own; stopped, killed and started again on the same port by its own process id.
 */
public final class RedisServer implements AutoCloseable {

    private static final Path BINARY = Path.of(System.getProperty("sluice.test.redis-server",
            "/usr/bin/redis-server"));
    private static final Path CLI = BINARY.resolveSibling("redis-cli");

    private final Path dir;
    private final int port;
    private final List<String> extra;
    private Process process;

    private RedisServer(Path dir, int port, List<String> extra) {
        this.dir = dir;
        this.port = port;
        this.extra = extra;
    }

    /**
     * Starts redis-server with {@code extra} arguments (e.g. {@code --requirepass}). Without
     * redis-server a test is skipped, but under CI (CI=true) it fails: there it must run.
     */
    public static RedisServer start(String... extra) throws Exception {
        requireInstalled();
        Path dir = Files.createTempDirectory("sluice-redis");
        for (int attempt = 0; ; attempt++) {
            RedisServer redis = new RedisServer(dir, freePort(), List.of(extra));
            try {
                redis.startAgain();
                return redis;
            } catch (IOException | AssertionError e) {
                if (attempt == 4) {
                    throw e; // five ports taken between choosing and binding: something else
                }
            }
        }
    }

    /**
     * Starts a node for a cluster of {@code size} masters, made by {@link #createCluster}: its
     * port and its cluster bus port (the port plus 10000) both free.
     */
    public static RedisServer startClusterNode() throws Exception {
        requireInstalled();
        Path dir = Files.createTempDirectory("sluice-redis-node");
        for (int attempt = 0; ; attempt++) {
            int port = freePort();
            if (port + 10000 > 65535 || !bindable(port + 10000)) {
                continue;
            }
            RedisServer redis = new RedisServer(dir, port, List.of("--cluster-enabled", "yes",
                    "--cluster-config-file", dir.resolve("nodes.conf").toString(),
                    "--cluster-node-timeout", "5000"));
            try {
                redis.startAgain();
                return redis;
            } catch (IOException | AssertionError e) {
                if (attempt >= 20) {
                    throw e;
                }
            }
        }
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Joins the nodes into one cluster of masters and waits, up to 30 s, until it is ok. */
    public static void createCluster(List<RedisServer> nodes) throws Exception {
        List<String> args = new ArrayList<>(List.of("--cluster", "create"));
        nodes.forEach(node -> args.add("127.0.0.1:" + node.port()));
        args.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        String created = nodes.getFirst().cli(args.toArray(String[]::new));
        if (!created.contains("All 16384 slots covered")) {
            throw new AssertionError("redis-cli --cluster create failed: " + created);
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (RedisServer node : nodes) {
            while (!node.cli("cluster", "info").contains("cluster_state:ok")) {
                if (System.nanoTime() > end) {
                    throw new AssertionError("the cluster was not ok in 30 s");
                }
                Thread.sleep(50); // a poll's pace: the nodes agree by gossip
            }
        }
    }

    /** Fails, or skips the test outside CI, when redis-server is not installed. */
    public static void requireInstalled() {
        String missing = "redis-server is not installed at " + BINARY
                + " (Debian: apt-get install redis-server)";
        if (!Files.isExecutable(BINARY) || !Files.isExecutable(CLI)) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(missing);
            }
            Assumptions.abort(missing);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Starts it (again) on its port, and waits until it answers. */
    public void startAgain() throws Exception {
        List<String> command = new ArrayList<>(List.of(BINARY.toString(), "--port",
                Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                "no", "--dir", dir.toString(), "--logfile", dir.resolve("redis.log").toString()));
        command.addAll(extra);
        process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.out").toFile()).start();
        awaitAnswer();
    }

    /** Waits, up to 10 s, until redis-cli gets PONG (or, with a password, NOAUTH). */
    private void awaitAnswer() throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IOException("redis-server on port " + port + " exited: "
                        + Files.readString(dir.resolve("redis.out")));
            }
            String answer = cli("ping");
            if (answer.contains("PONG") || answer.contains("NOAUTH")) {
                return;
            }
            try {
                process.onExit().get(20, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // still starting: ask again
            }
        }
        throw new AssertionError("redis-server on port " + port + " did not answer in 10 s");
    }

    /** What {@code redis-cli -p PORT args} prints. */
    public String cli(String... args) throws Exception {
        return run(port, args);
    }

    static String run(int port, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(CLI.toString(), "-h", "127.0.0.1", "-p",
                Integer.toString(port)));
        command.addAll(List.of(args));
        Process cli = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!cli.waitFor(30, TimeUnit.SECONDS)) {
            cli.destroyForcibly();
            throw new AssertionError(command + " did not finish in 30 s");
        }
        return new String(cli.getInputStream().readAllBytes());
    }

    /**
     * SIGSTOP: it keeps its connections and answers nothing, as a server that hangs, until
     * {@link #resume}.
     */
    public void pause() throws Exception {
        Signals.send(process, "-STOP");
    }

    /** SIGCONT: it answers again, what was asked meanwhile first. */
    public void resume() throws Exception {
        Signals.send(process, "-CONT");
    }

    /** SIGKILL, as a crash or a power cut ends it: no goodbye to its clients. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            resume(); // a paused server cannot stop
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
