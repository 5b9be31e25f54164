package dev.sluice.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code make bench}: starts the upstream, nginx and Sluice, runs each chosen scenario against
 * every target in turn, and writes {@code report.md}, {@code report.json} and
 * {@code latency.svg}.
 */
public final class BenchMain {

    private static final long SELF = ProcessHandle.current().pid();
    private static final long SETTLE_MILLIS = 1_000;
    /** Each round runs every scenario against every target: a bound on the bench's length. */
    private static final int MAX_ROUNDS = 9;

    private BenchMain() {}

    /**
     * Arguments: scenario name ({@code all} by default), the Sluice jar, the output folder, the
     * garbage collectors to run Sluice with ({@code g1,zgc} by default), the file that holds the
     * JVM peers' class path ({@code target/bench-classpath.txt} by default).
     */
    public static void main(String[] args) throws Exception {
        List<Scenario> scenarios;
        try {
            scenarios = Scenario.select(args.length > 0 ? args[0] : "all");
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.exit(2);
            return;
        }
        Path jar = Path.of(args.length > 1 ? args[1] : "target/sluice.jar");
        Path dir = Files.createDirectories(Path.of(args.length > 2 ? args[2] : "target/bench"));
        if (!Files.isRegularFile(jar)) {
            System.err.println("bench: " + jar + " is missing; build it first (make build)");
            System.exit(2);
        }
        List<String> gcs = List.of((args.length > 3 ? args[3] : "g1,zgc").split("[, ]+"));
        if (!Targets.GCS.containsAll(gcs)) {
            System.err.println("bench: unknown garbage collector in '" + String.join(",", gcs)
                    + "'; choose from " + String.join(", ", Targets.GCS));
            System.exit(2);
        }
        Path classpathFile = Path.of(args.length > 4 ? args[4] : "target/bench-classpath.txt");
        if (!Files.isRegularFile(classpathFile)) {
            System.err.println("bench: " + classpathFile + " is missing; make bench writes it");
            System.exit(2);
        }
        String classpath = Files.readString(classpathFile).trim();
        // make bench ROUNDS=N: every scenario N times, every target once per round.
        int count = rounds(System.getenv("BENCH_ROUNDS"));
        long began = System.nanoTime();
        String load = Report.loadAverage();
        // make bench REDIS=1: Sluice with G1 also runs sharing its streams through Redis.
        boolean withRedis = "1".equals(System.getenv("BENCH_REDIS"));
        // A Sluice with a key pool, per collector, only for the scenarios that run against it.
        boolean withKeys = scenarios.stream().anyMatch(Scenario::pooled);
        try (Targets targets = Targets.start(dir, jar, gcs, classpath, withRedis, withKeys)) {
            Runtime.getRuntime().addShutdownHook(new Thread(targets::close));
            List<Target> live = targets.all().stream().filter(Target::available).toList();
            for (Target target : targets.all()) {
                System.out.printf(Locale.ROOT, "%-11s %s%s%n", target.name(), target.setup(),
                        Double.isNaN(target.startupMillis()) ? ""
                                : String.format(Locale.ROOT, ", started in %.0f ms",
                                        target.startupMillis()));
            }
            for (Target target : live) {
                long start = System.nanoTime();
                for (Scenario warmUp : Scenario.WARM_UP) {
                    LoadClient.run(warmUp, target.port(), open -> { });
                }
                System.out.printf(Locale.ROOT, "%-11s warmed up in %.1f s%n", target.name(),
                        (System.nanoTime() - start) / 1e9);
            }
            List<String> failures = new ArrayList<>();
            // Per Sluice variant, each cold start's time from process start to /readyz 200.
            Map<String, List<Double>> ready = new LinkedHashMap<>();
            List<Result> firstByte = new ArrayList<>();
            for (Target target : live) {
                if (Scenario.FIRST_BYTE.runsOn(target.name())) {
                    Thread.sleep(SETTLE_MILLIS);
                    add(firstByte, measure(Scenario.FIRST_BYTE, target, targets.direct(),
                            failures));
                }
            }
            List<String> names = live.stream().map(Target::name).toList();
            List<List<Result>> rounds = new ArrayList<>();
            for (int round = 1; round <= count && targets.direct().available(); round++) {
                if (count > 1) {
                    System.out.printf(Locale.ROOT, "round %d of %d%n", round, count);
                }
                // Every other round in reverse, so that no target always runs just after the
                // same one: the machine's pace drifts within a round too.
                List<Target> order = round % 2 == 1 ? live : live.reversed();
                List<Result> results = new ArrayList<>();
                for (Scenario scenario : scenarios) {
                    List<Result> byTarget = new ArrayList<>();
                    for (Target target : order) {
                        if (!target.available() || !targets.direct().available()
                                || !scenario.runsOn(target.name())) {
                            continue;
                        }
                        // Let the last run's sockets close and its garbage go.
                        Thread.sleep(SETTLE_MILLIS);
                        add(byTarget, scenario.cold() && !target.equals(targets.direct())
                                ? cold(scenario, target, targets, round, failures, ready)
                                : measure(scenario, target, targets.direct(), failures));
                    }
                    byTarget.sort(Comparator.comparingInt(r -> names.indexOf(r.target())));
                    results.addAll(byTarget);
                }
                rounds.add(results);
            }
            if (rounds.isEmpty()) {
                rounds.add(List.of()); // the upstream died before the first round
            }
            Report report = new Report(targets.all(), firstByte, new Rounds(rounds),
                    failures, ready, (System.nanoTime() - began) / 1e9, load);
            report.write(dir);
            System.out.println();
            System.out.print(report.summary());
            System.out.println("Report: " + dir.resolve("report.md") + ", "
                    + dir.resolve("report.json") + ", " + dir.resolve("latency.svg"));
        }
    }

    private static int rounds(String value) {
        try {
            int count = value == null || value.isBlank() ? 1 : Integer.parseInt(value.trim());
            if (count >= 1 && count <= MAX_ROUNDS) {
                return count;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        System.err.println("bench: ROUNDS must be a whole number from 1 to " + MAX_ROUNDS
                + ", not '" + value + "'");
        System.exit(2);
        return 1;
    }

    private static void add(List<Result> results, Result result) {
        if (result != null) {
            results.add(result);
            System.out.println(line(result));
        }
    }

    /**
     * One run of a scenario against a target, or null when the target or the upstream died
     * meanwhile, which is then added to {@code failures}: every relay reads the upstream, so the
     * run stops measuring without it.
     */
    private static Result measure(Scenario scenario, Target target, Target upstream,
            List<String> failures) throws IOException, InterruptedException {
        Result result = null;
        IOException failure = null;
        try {
            result = run(scenario, target, upstream);
        } catch (IOException e) {
            failure = e;
        }
        if (result != null) {
            return result;
        }
        if (upstream.exited()) {
            return failed(failures, "the upstream (direct) exited during " + scenario.name()
                    + " against " + target.name() + "; the run stops there");
        }
        if (target.exited()) {
            return failed(failures, target.name() + " exited during " + scenario.name()
                    + "; it is left out from there on");
        }
        throw failure != null ? failure : new IOException(target.name() + " stopped answering");
    }

    /**
     * A cold scenario against a new process of the Sluice variant {@code like}, as soon as its
     * {@code /readyz} answers 200; the time that took is added to {@code ready}.
     */
    private static Result cold(Scenario scenario, Target like, Targets targets, int round,
            List<String> failures, Map<String, List<Double>> ready)
            throws IOException, InterruptedException {
        Targets.Fresh fresh = targets.fresh(like, round);
        try (Target target = fresh.target()) {
            ready.computeIfAbsent(like.name(), name -> new ArrayList<>()).add(fresh.readyMillis());
            System.out.printf(Locale.ROOT, "%-11s %-11s a new process: /healthz 200 after %.0f "
                    + "ms, /readyz 200 after %.0f ms%n", scenario.name(), like.name(),
                    target.startupMillis(), fresh.readyMillis());
            return measure(scenario, target, targets.direct(), failures);
        }
    }

    private static Result failed(List<String> failures, String failure) {
        System.out.println(failure);
        failures.add(failure);
        return null;
    }

    /** One run, or null when the target or the upstream is no longer running after it. */
    private static Result run(Scenario scenario, Target target, Target upstream)
            throws IOException, InterruptedException {
        // Asked before and after the CPU figures are read, so that they leave the asking out.
        long rateLimited = BenchKeys.rateLimited(upstream.port());
        long rssIdle = target.rssKib();
        long threadsIdle = target.threads();
        double cpu = target.cpuSeconds();
        double systemCpu = target.systemCpuSeconds();
        long switches = target.contextSwitches();
        double upstreamCpu = upstream.cpuSeconds();
        double clientCpu = Proc.cpuSeconds(SELF);
        double machineCpu = Proc.machineCpuSeconds();
        long[] started = new long[2];
        double[] opening = new double[1];
        long from = System.currentTimeMillis();
        RedisCalls redisCalls = target.redisPort() == 0 ? null
                : RedisCalls.of(target.redisPort(), target.port());
        try (Sampler sampler = new Sampler(target)) {
            LoadClient.Run run = LoadClient.run(scenario, target.port(), open -> {
                opening[0] = target.cpuSeconds();
                started[0] = target.rssKib();
                started[1] = open;
            });
            long to = System.currentTimeMillis();
            if (!upstream.available() || !target.available()) {
                return null;
            }
            opening[0] = opening[0] == 0 ? Double.NaN : opening[0] - cpu;
            cpu = target.cpuSeconds() - cpu;
            systemCpu = target.systemCpuSeconds() - systemCpu;
            switches = target.contextSwitches() - switches;
            upstreamCpu = upstream.cpuSeconds() - upstreamCpu;
            clientCpu = Proc.cpuSeconds(SELF) - clientCpu;
            double other = Proc.machineCpuSeconds() - machineCpu - clientCpu - upstreamCpu
                    - (target == upstream ? 0 : cpu);
            rateLimited = BenchKeys.rateLimited(upstream.port()) - rateLimited;
            if (redisCalls != null) {
                // INFO commandstats before and after: what the run cost Redis, per event.
                System.out.println(target.name() + " Redis calls in " + scenario.name() + ": "
                        + RedisCalls.of(target.redisPort(), target.port())
                        .since(redisCalls, run.events()));
            }
            return new Result(scenario, target.name(), run, cpu, systemCpu, upstreamCpu,
                    clientCpu, Math.max(0, other), rssIdle, started[0], (int) started[1],
                    sampler.peakRss(), target.peakRssKib(), threadsIdle,
                    Math.max(threadsIdle, sampler.peakThreads()), switches, opening[0],
                    Pauses.between(target.pauseLog(), from, to), rateLimited);
        }
    }

    private static String line(Result r) {
        LoadClient.Run run = r.run();
        return String.format(Locale.ROOT, "%-11s %-11s %5d/%d sustained, latency p50 %.2f p99 "
                        + "%.2f max %.1f ms, %s, %.0f events/s, client CPU %s%s%s",
                r.scenario().name(), r.target(), run.sustained(), run.streams(),
                run.latency().p50(), run.latency().p99(), run.latency().max(),
                Report.measured(r.cpuSeconds()) ? String.format(Locale.ROOT,
                        "%.2f us CPU/event", r.cpuMicrosPerEvent()) : "too little CPU to measure",
                r.eventsPerSecond(), Report.measured(r.clientCpuSeconds())
                        ? String.format(Locale.ROOT, "%.0f%%", r.clientCpuPercent()) : "unmeasured",
                r.scenario().pooled() ? ", " + r.rateLimited() + " answered 429 by the upstream"
                        : "",
                run.firstError() == null ? "" : " (" + run.errors() + " failed, first: "
                        + run.firstError() + ")");
    }

    /** Samples a target's resident memory and thread count every 100 ms on its own thread. */
    private static final class Sampler implements AutoCloseable {

        private final Thread thread;
        private volatile boolean running = true;
        private volatile long peakRss;
        private volatile long peakThreads;

        Sampler(Target target) {
            thread = Thread.ofPlatform().daemon().name("sampler").start(() -> {
                while (running) {
                    peakRss = Math.max(peakRss, target.rssKib());
                    peakThreads = Math.max(peakThreads, target.threads());
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        long peakRss() {
            return peakRss;
        }

        long peakThreads() {
            return peakThreads;
        }

        @Override
        public void close() {
            running = false;
            thread.interrupt();
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
