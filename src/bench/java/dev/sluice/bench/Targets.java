package dev.sluice.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts the processes of a run, each on its own loopback port (the pacing upstream, nginx in
 * front of it, Sluice in front of it with each garbage collector, and, when asked, Sluice with
 * G1 sharing its resumable streams through a local redis-server and Sluice with a key pool with
 * each garbage collector), and stops them all at the end.
 */
final class Targets implements AutoCloseable {

    static final String NGINX = "/usr/sbin/nginx";
    static final String REDIS = "/usr/bin/redis-server";
    /** The garbage collectors Sluice can be run with. */
    static final List<String> GCS = List.of("g1", "zgc", "serial");
    private static final String JAVA = ProcessHandle.current().info().command().orElse("java");
    private static final long START_LIMIT_NANOS = 30_000_000_000L;
    /** A training run that rehearses, then writes the cache, takes longer on a busy machine. */
    private static final long TRAIN_LIMIT_NANOS = 120_000_000_000L;

    /**
     * A Sluice process started for one run, and how long from its start its {@code /readyz}
     * took to answer 200 (NaN where not asked).
     */
    record Fresh(Target target, double readyMillis) {}

    /** How a Sluice variant was started, to start it again ({@link #fresh}). */
    private record Launch(List<String> flags, Map<String, String> environment,
            int upstreamPort) {

        Launch {
            flags = List.copyOf(flags);
            environment = Map.copyOf(environment);
        }
    }

    private final Path dir;
    private final List<Target> all = new ArrayList<>();
    private final Path jar;
    private final Map<String, Launch> launches = new HashMap<>();
    /** The redis-server that {@code sluice-g1-redis} shares its streams through, or null. */
    private Process redis;

    /** @param jar Sluice's, or null where no Sluice is started */
    private Targets(Path dir, Path jar) {
        this.dir = dir;
        this.jar = jar;
    }

    /**
     * The upstream first ("direct"), then nginx (perhaps missing), the byte pump and Jetty's
     * proxy, then Sluice with each GC, then the variants asked for.
     *
     * @param classpath the jar's runtime dependencies and Jetty's proxy, for the JVM peers
     * @param withKeys also Sluice with each GC and {@link BenchKeys}'s three keys, named
     *     {@code sluice-GC-keys}
     */
    static Targets start(Path dir, Path jar, List<String> gcs, String classpath,
            boolean withRedis, boolean withKeys) throws IOException {
        Targets targets = new Targets(dir, jar);
        try {
            Target upstream = targets.add(targets.upstream());
            targets.add(targets.nginx(upstream.port()));
            // By name: this process has the JDK alone on its class path, not Jetty.
            targets.add(targets.peer("pump", "dev.sluice.bench.BytePump", "the shape's floor: "
                    + "Jetty as Sluice sets it up, a blocking servlet per request on a virtual "
                    + "thread, the JDK HttpClient with ofInputStream(), bytes copied and flushed "
                    + "per read, no parsing", classpath, upstream.port()));
            targets.add(targets.peer("jetty-proxy", "dev.sluice.bench.JettyProxy", "Jetty "
                    + jettyVersion(classpath) + " ProxyServlet.Transparent "
                    + "(jetty-client, asynchronous) with HttpConfiguration"
                    + ".setOutputAggregationSize(0): with the default it holds an event stream "
                    + "until its end; Jetty set up as Sluice sets it up", classpath,
                    upstream.port()));
            for (String gc : gcs) {
                targets.add(targets.sluice(jar, gc, upstream.port(), null, false));
            }
            if (withRedis) {
                targets.add(targets.sluice(jar, "g1", upstream.port(), targets.redis(), false));
            }
            if (withKeys) {
                for (String gc : gcs) {
                    targets.add(targets.sluice(jar, gc, upstream.port(), null, true));
                }
            }
            return targets;
        } catch (IOException | RuntimeException e) {
            targets.close();
            throw e;
        }
    }

    /** The pacing upstream alone ("direct"). */
    static Targets upstreamOnly(Path dir) throws IOException {
        Targets targets = new Targets(dir, null);
        targets.add(targets.upstream());
        return targets;
    }

    List<Target> all() {
        return List.copyOf(all);
    }

    Target direct() {
        return all.get(0);
    }

    /** The JVM flags of one Sluice variant, as documented in the README. */
    static List<String> sluiceFlags(String gc) {
        if (gc.equals("g1")) {
            return List.of("-Xmx1g", "-XX:+UseG1GC");
        }
        if (gc.equals("serial")) {
            return List.of("-Xmx1g", "-XX:+UseSerialGC");
        }
        // Generational ZGC is the default mode of ZGC from JDK 23 on, and the only one from 24.
        return Runtime.version().feature() >= 23 ? List.of("-Xmx1g", "-XX:+UseZGC")
                : List.of("-Xmx1g", "-XX:+UseZGC", "-XX:+ZGenerational");
    }

    /** Flags to try beside the documented ones: {@code make bench SLUICE_OPTS='...'}. */
    private static List<String> extraFlags() {
        String flags = System.getenv().getOrDefault("BENCH_SLUICE_OPTS", "").trim();
        return flags.isEmpty() ? List.of() : List.of(flags.split("\\s+"));
    }

    private Target add(Target target) {
        all.add(target);
        return target;
    }

    private Target upstream() throws IOException {
        Process process = new ProcessBuilder(JAVA, "-Xmx1g", "-cp",
                System.getProperty("java.class.path"), PacingUpstream.class.getName())
                .redirectError(dir.resolve("upstream.log").toFile())
                .start();
        BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
        String line = out.readLine();
        if (line == null || !line.startsWith("listening on ")) {
            process.destroyForcibly();
            throw new IOException("the pacing upstream did not start; see upstream.log");
        }
        int port = Integer.parseInt(line.substring("listening on ".length()).trim());
        // Its standard input stays open: the upstream exits when this process does.
        return new Target("direct", "the pacing upstream itself (one NIO thread)", port,
                process, List.of(), Double.NaN, null);
    }

    private Target nginx(int upstreamPort) throws IOException {
        if (!Files.isExecutable(Path.of(NGINX))) {
            return Target.missing("nginx", "not installed: apt-get install nginx");
        }
        Path prefix = Files.createDirectories(dir.resolve("nginx")).toAbsolutePath();
        Files.createDirectories(prefix.resolve("temp"));
        int port = freePort();
        Path conf = prefix.resolve("nginx.conf");
        Files.writeString(conf, nginxConf(prefix, port, upstreamPort));
        Process process = new ProcessBuilder(NGINX, "-p", prefix + "/", "-c", conf.toString(),
                "-e", prefix.resolve("error.log").toString())
                .redirectErrorStream(true)
                .redirectOutput(prefix.resolve("output.log").toFile())
                .start();
        long start = System.nanoTime();
        List<Long> workers = List.of();
        while (workers.size() < Runtime.getRuntime().availableProcessors() || !accepts(port)) {
            if (!process.isAlive() || System.nanoTime() - start > START_LIMIT_NANOS) {
                process.destroyForcibly();
                throw new IOException("nginx did not start; see nginx/error.log");
            }
            pause();
            workers = Proc.children(process.pid());
        }
        return new Target("nginx", version(), port, process, workers, Double.NaN, null);
    }

    private static String nginxConf(Path prefix, int port, int upstreamPort) {
        return """
                # The reference relay: a plain streaming reverse proxy to the pacing upstream.
                daemon off;
                master_process on;
                worker_processes auto;
                worker_rlimit_nofile 20000;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events {
                    worker_connections 20000;
                }
                http {
                    access_log off;
                    client_body_temp_path %1$s/temp/body;
                    proxy_temp_path %1$s/temp/proxy;
                    upstream pacing {
                        server 127.0.0.1:%3$d;
                        keepalive 1024;
                    }
                    server {
                        listen 127.0.0.1:%2$d;
                        location / {
                            proxy_pass http://pacing;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_buffering off;
                            proxy_read_timeout 1h;
                            proxy_send_timeout 1h;
                        }
                    }
                }
                """.formatted(prefix, port, upstreamPort);
    }

    /**
     * A redis-server on a free loopback port, without persistence, stopped with the run; its
     * URL.
     */
    private String redis() throws IOException {
        if (!Files.isExecutable(Path.of(REDIS))) {
            throw new IOException("make bench REDIS=1 needs redis-server: apt-get install "
                    + "redis-server");
        }
        Path home = Files.createDirectories(dir.resolve("redis")).toAbsolutePath();
        int port = freePort();
        redis = new ProcessBuilder(REDIS, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", home.toString())
                .redirectErrorStream(true).redirectOutput(home.resolve("redis.log").toFile())
                .start();
        long start = System.nanoTime();
        while (!accepts(port)) {
            if (!redis.isAlive() || System.nanoTime() - start > START_LIMIT_NANOS) {
                redis.destroyForcibly();
                throw new IOException("redis-server did not start; see redis/redis.log");
            }
            pause();
        }
        return "redis://127.0.0.1:" + port;
    }

    /**
     * @param redisUrl streams shared through this Redis, or null for none
     * @param pooled started with {@link BenchKeys}'s keys rather than one
     */
    private Target sluice(Path jar, String gc, int upstreamPort, String redisUrl, boolean pooled)
            throws IOException {
        int port = freePort();
        List<String> flags = new ArrayList<>(sluiceFlags(gc));
        flags.addAll(extraFlags());
        String name = "sluice-" + gc + (redisUrl == null ? "" : "-redis")
                + (pooled ? BenchKeys.SUFFIX : "");
        Path cache = dir.resolve(name + ".aot");
        if (Runtime.version().feature() >= 25) {
            // As make run starts it: with an AOT cache from a training run.
            train(jar, flags, cache, upstreamPort);
            flags.add("-XX:AOTCache=" + cache);
        }
        Path pauses = dir.resolve(name + "-pauses.log").toAbsolutePath();
        List<String> logged = new ArrayList<>(flags);
        logged.add(Pauses.flag(pauses));
        ProcessBuilder builder = sluiceProcess(jar, logged, port, upstreamPort)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        if (redisUrl != null) {
            builder.environment().put("SLUICE_REDIS_URL", redisUrl);
        }
        if (pooled) {
            builder.environment().put("OPENAI_API_KEY", BenchKeys.variable());
        }
        String setup = String.join(" ", flags) + (redisUrl == null ? ""
                : "; SLUICE_REDIS_URL: a local redis-server")
                + (pooled ? "; " + BenchKeys.setup() : "");
        launches.put(name, new Launch(flags, builder.environment(), upstreamPort));
        return started(name, setup, builder, port, pauses, false, redisUrl == null ? 0
                : Integer.parseInt(redisUrl.substring(redisUrl.lastIndexOf(':') + 1))).target();
    }

    /**
     * A new process of the Sluice variant {@code like}, as it was started (its flags, settings
     * and start-up cache), on a port of its own, once its {@code /readyz} answers 200; close it
     * after use. Its log and pauses go to files of their own, numbered by {@code run}.
     */
    Fresh fresh(Target like, int run) throws IOException {
        Launch launch = launches.get(like.name());
        int port = freePort();
        String name = like.name() + "-" + Scenario.COLD + "-" + run;
        Path pauses = dir.resolve(name + "-pauses.log").toAbsolutePath();
        List<String> logged = new ArrayList<>(launch.flags());
        logged.add(Pauses.flag(pauses));
        ProcessBuilder builder = sluiceProcess(jar, logged, port, launch.upstreamPort())
                .redirectOutput(dir.resolve(name + ".log").toFile());
        builder.environment().putAll(launch.environment());
        builder.environment().put("SLUICE_PORT", Integer.toString(port));
        return started(like.name(), like.setup(), builder, port, pauses, true,
                like.redisPort());
    }

    /**
     * Starts a Sluice process and waits for its {@code /healthz}, and with {@code ready} for its
     * {@code /readyz} too, to answer 200.
     */
    private static Fresh started(String name, String setup, ProcessBuilder builder, int port,
            Path pauses, boolean ready, int redisPort) throws IOException {
        long start = System.nanoTime();
        Process process = builder.start();
        double startup = Double.NaN;
        while (Double.isNaN(startup) || ready && !answers(port, "/readyz")) {
            if (!process.isAlive() || System.nanoTime() - start > START_LIMIT_NANOS) {
                process.destroyForcibly();
                throw new IOException("Sluice did not start; see " + name + ".log");
            }
            if (Double.isNaN(startup) && healthy(port)) {
                startup = (System.nanoTime() - start) / 1e6;
            } else {
                pause();
            }
        }
        double readyMillis = ready ? (System.nanoTime() - start) / 1e6 : Double.NaN;
        return new Fresh(new Target(name, setup, port, process, List.of(), startup, pauses,
                redisPort), readyMillis);
    }

    /**
     * A JVM peer from the benchmark's classes, run with Sluice's G1 flags and with its pauses
     * logged as Sluice's are.
     */
    private Target peer(String name, String main, String setup, String classpath,
            int upstreamPort) throws IOException {
        int port = freePort();
        Path pauses = dir.resolve(name + "-pauses.log").toAbsolutePath();
        List<String> command = new ArrayList<>(List.of(JAVA));
        command.addAll(sluiceFlags("g1"));
        command.addAll(List.of(Pauses.flag(pauses),
                // Jetty logs through SLF4J; logback, on the classpath for Sluice, would log
                // everything at debug level without Sluice's configuration.
                "-Dslf4j.provider=org.slf4j.helpers.NOP_FallbackServiceProvider",
                "-cp", System.getProperty("java.class.path") + File.pathSeparator + classpath,
                main, Integer.toString(port),
                Integer.toString(upstreamPort)));
        long start = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile()).start();
        while (!healthy(port)) {
            if (!process.isAlive() || System.nanoTime() - start > START_LIMIT_NANOS) {
                process.destroyForcibly();
                throw new IOException(name + " did not start; see " + name + ".log");
            }
            pause();
        }
        double startup = (System.nanoTime() - start) / 1e6;
        return new Target(name, setup + "; " + String.join(" ", sluiceFlags("g1")), port,
                process, List.of(), startup, pauses);
    }

    private void train(Path jar, List<String> flags, Path cache, int upstreamPort)
            throws IOException {
        // As make start-cache trains; SLUICE_OPTS='-Dsluice.rehearsal-seconds=20' rehearses.
        List<String> training = new ArrayList<>(List.of("-Dsluice.simulated-token-delay=5ms"));
        training.addAll(flags);
        training.addAll(List.of("-Xlog:aot=error", "-Xlog:cds=error", "-Dsluice.start-only=true",
                "-XX:AOTCacheOutput=" + cache));
        ProcessBuilder builder = sluiceProcess(jar, training, 0, upstreamPort)
                .redirectOutput(dir.resolve(cache.getFileName() + ".log").toFile());
        // As make start-cache trains: the built-in routes on the simulated upstream, which the
        // rehearsal streams through; never the pacing upstream.
        builder.environment().keySet().removeIf(key -> key.startsWith("OPENAI_"));
        Process process = builder.start();
        try {
            if (!process.waitFor(TRAIN_LIMIT_NANOS, TimeUnit.NANOSECONDS)
                    || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException("the training run for " + cache.getFileName()
                        + " failed; see " + cache.getFileName() + ".log");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while training " + cache.getFileName());
        }
    }

    private static ProcessBuilder sluiceProcess(Path jar, List<String> flags, int port,
            int upstreamPort) {
        List<String> command = new ArrayList<>(List.of(JAVA));
        command.addAll(flags);
        command.addAll(List.of("-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(key -> key.startsWith("SLUICE_") || key.startsWith("OPENAI_"));
        env.put("OPENAI_BASE_URL", "http://127.0.0.1:" + upstreamPort + "/v1");
        env.put("OPENAI_API_KEY", "sk-bench-placeholder-not-a-key");
        env.put("SLUICE_HOST", "127.0.0.1");
        env.put("SLUICE_PORT", Integer.toString(port));
        return builder;
    }

    /** The version in the name of the jetty-ee10-proxy jar on {@code classpath}. */
    private static String jettyVersion(String classpath) {
        for (String entry : classpath.split(File.pathSeparator)) {
            String file = Path.of(entry).getFileName().toString();
            if (file.startsWith("jetty-ee10-proxy-") && file.endsWith(".jar")) {
                return file.substring("jetty-ee10-proxy-".length(), file.length() - 4);
            }
        }
        return "(version unknown)";
    }

    /** True when {@code GET /healthz} answers 200. */
    private static boolean healthy(int port) {
        return answers(port, "/healthz");
    }

    /** True when {@code GET path} answers 200. */
    private static boolean answers(int port, String path) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] status = socket.getInputStream().readNBytes(12);
            return new String(status, StandardCharsets.US_ASCII).equals("HTTP/1.1 200");
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    private static String version() {
        try {
            Process nginx = new ProcessBuilder(NGINX, "-v").redirectErrorStream(true).start();
            String text = new String(nginx.getInputStream().readAllBytes()).trim();
            return text.replace("nginx version: ", "");
        } catch (IOException e) {
            return "nginx";
        }
    }

    private static void pause() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        for (Target target : all.reversed()) {
            target.close();
        }
        if (redis != null) {
            redis.destroy();
            try {
                if (!redis.waitFor(10, TimeUnit.SECONDS)) {
                    redis.destroyForcibly();
                }
            } catch (InterruptedException e) {
                redis.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
