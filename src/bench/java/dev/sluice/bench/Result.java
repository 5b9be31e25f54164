package dev.sluice.bench;

import java.util.List;

/**
 * One scenario run against one target: what the load client received, and what the target, the
 * upstream and the load client spent meanwhile according to the kernel.
 *
 * @param otherCpuSeconds what the rest of the machine spent meanwhile: other work, noise
 * @param rssStartedKib resident memory when every stream had its first byte, with
 *     {@code openAtSample} streams open
 * @param peakRssKib the highest resident memory sampled during the run
 * @param hwmKib the target's peak resident memory since it started ({@code VmHWM})
 * @param openingCpuSeconds the target's CPU time until every stream had its first byte
 * @param pauses the target's stop-the-world pauses during the run, or null when it logs none
 * @param rateLimited the requests the upstream answered 429 during the run ({@link BenchKeys})
 */
record Result(Scenario scenario, String target, LoadClient.Run run, double cpuSeconds,
        double systemCpuSeconds, double upstreamCpuSeconds, double clientCpuSeconds,
        double otherCpuSeconds, long rssIdleKib, long rssStartedKib, int openAtSample,
        long peakRssKib, long hwmKib, long threadsIdle, long threadsPeak, long contextSwitches,
        double openingCpuSeconds, List<Pauses.Pause> pauses, long rateLimited) {

    /**
     * This result with the memory figures of {@code first}, the same scenario and target in an
     * earlier round: a process's heap only grows from round to round, so its memory per stream is
     * read where the process first carried the load.
     */
    Result withMemoryOf(Result first) {
        return new Result(scenario, target, run, cpuSeconds, systemCpuSeconds, upstreamCpuSeconds,
                clientCpuSeconds, otherCpuSeconds, first.rssIdleKib, first.rssStartedKib,
                first.openAtSample, first.peakRssKib, first.hwmKib, threadsIdle, threadsPeak,
                contextSwitches, openingCpuSeconds, pauses, rateLimited);
    }

    /** CPU microseconds per event received, which is also CPU seconds per million events. */
    double cpuMicrosPerEvent() {
        return run.events() == 0 ? Double.NaN : cpuSeconds * 1e6 / run.events();
    }

    /**
     * CPU microseconds per stream opened: the CPU time of the opening (until every stream had its
     * first byte) less the events relayed meanwhile, at the per-event cost of the rest of the run.
     */
    double cpuMicrosPerNewStream() {
        long after = run.latencyAllOpen().count();
        if (after == 0) {
            return openingCpuSeconds * 1e6 / run.streams();
        }
        double perEvent = (cpuSeconds - openingCpuSeconds) / after;
        long during = Math.max(0, run.events() - after);
        return (openingCpuSeconds - during * perEvent) * 1e6 / run.streams();
    }

    double upstreamCpuMicrosPerEvent() {
        return run.events() == 0 ? Double.NaN : upstreamCpuSeconds * 1e6 / run.events();
    }

    /** The kernel's share of the target's CPU time, in percent: system calls, TCP, wake-ups. */
    double systemPercent() {
        return 100 * systemCpuSeconds / cpuSeconds;
    }

    /** The target's context switches per event: thread hand-offs and wake-ups. */
    double contextSwitchesPerEvent() {
        return run.events() == 0 ? Double.NaN : contextSwitches / (double) run.events();
    }

    /** Share of one core the target used, in percent. */
    double cpuPercent() {
        return 100 * cpuSeconds / run.seconds();
    }

    double clientCpuPercent() {
        return 100 * clientCpuSeconds / run.seconds();
    }

    /** Cores the rest of the machine kept busy during the run, on average. */
    double otherCores() {
        return otherCpuSeconds / run.seconds();
    }

    double eventsPerSecond() {
        return run.events() / run.seconds();
    }

    double megabytesPerSecond() {
        return run.bytes() / run.seconds() / 1e6;
    }

    /** Resident memory per open stream above the idle process, in KiB. */
    double rssPerStreamKib() {
        return openAtSample == 0 ? Double.NaN
                : (rssStartedKib - rssIdleKib) / (double) openAtSample;
    }

    double errorPercent() {
        return 100.0 * run.errors() / run.streams();
    }
}
