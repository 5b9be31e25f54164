package dev.sluice.bench;

/**
 * One scenario run against one target: what the load client received, and what the target, the
 * upstream and the load client spent meanwhile according to the kernel.
 *
 * @param otherCpuSeconds what the rest of the machine spent meanwhile: other work, noise
 * @param rssStartedKib resident memory when every stream had its first byte, with
 *     {@code openAtSample} streams open
 * @param peakRssKib the highest resident memory sampled during the run
 * @param hwmKib the target's peak resident memory since it started ({@code VmHWM})
 */
record Result(Scenario scenario, String target, LoadClient.Run run, double cpuSeconds,
        double systemCpuSeconds, double upstreamCpuSeconds, double clientCpuSeconds,
        double otherCpuSeconds, long rssIdleKib, long rssStartedKib, int openAtSample,
        long peakRssKib, long hwmKib, long threadsIdle, long threadsPeak, long contextSwitches) {

    /** CPU microseconds per event received, which is also CPU seconds per million events. */
    double cpuMicrosPerEvent() {
        return run.events() == 0 ? Double.NaN : cpuSeconds * 1e6 / run.events();
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
