package dev.sluice.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A process under test on a loopback port (the upstream itself, nginx, or Sluice), with what the
 * kernel says of it and of its children, such as nginx's workers.
 */
final class Target implements AutoCloseable {

    private final String name;
    private final String setup;
    private final int port;
    private final Process process;
    private final List<Long> pids;
    private final double startupMillis;
    private final Path pauseLog;
    /** The port of the redis-server it shares streams through, or 0 for none. */
    private final int redisPort;

    /**
     * @param process null when the target is missing; {@code setup} then says how to get it
     * @param workers the child processes that do its work, such as nginx's workers
     * @param startupMillis process start to first served request, or NaN when not measured
     * @param pauseLog where a JVM logs its pauses ({@link Pauses#flag}), or null
     */
    Target(String name, String setup, int port, Process process, List<Long> workers,
            double startupMillis, Path pauseLog) {
        this(name, setup, port, process, workers, startupMillis, pauseLog, 0);
    }

    /** As the other, for a Sluice that shares its streams through Redis at {@code redisPort}. */
    Target(String name, String setup, int port, Process process, List<Long> workers,
            double startupMillis, Path pauseLog, int redisPort) {
        this.redisPort = redisPort;
        this.name = name;
        this.setup = setup;
        this.port = port;
        this.process = process;
        this.startupMillis = startupMillis;
        this.pauseLog = pauseLog;
        List<Long> all = new ArrayList<>();
        if (process != null) {
            all.add(process.pid());
            all.addAll(workers);
        }
        this.pids = List.copyOf(all);
    }

    static Target missing(String name, String howToGet) {
        return new Target(name, howToGet, 0, null, List.of(), Double.NaN, null);
    }

    String name() {
        return name;
    }

    String setup() {
        return setup;
    }

    int port() {
        return port;
    }

    /** The port of the redis-server it shares streams through, or 0 for none. */
    int redisPort() {
        return redisPort;
    }

    double startupMillis() {
        return startupMillis;
    }

    /** Where the target logs its pauses, or null when it logs none. */
    Path pauseLog() {
        return pauseLog;
    }

    boolean available() {
        return process != null && process.isAlive();
    }

    /** True when the process is gone, or goes within a few seconds (one that is exiting). */
    boolean exited() {
        try {
            return process == null || process.waitFor(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    double cpuSeconds() {
        return pids.stream().mapToDouble(Proc::cpuSeconds).sum();
    }

    double systemCpuSeconds() {
        return pids.stream().mapToDouble(Proc::systemCpuSeconds).sum();
    }

    long contextSwitches() {
        return pids.stream().mapToLong(Proc::contextSwitches).sum();
    }

    long rssKib() {
        return sum("VmRSS");
    }

    long peakRssKib() {
        return sum("VmHWM");
    }

    long threads() {
        return sum("Threads");
    }

    int processes() {
        return pids.size();
    }

    private long sum(String field) {
        return pids.stream().mapToLong(pid -> Proc.status(pid, field)).sum();
    }

    @Override
    public void close() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
