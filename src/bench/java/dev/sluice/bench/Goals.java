package dev.sluice.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Sluice's performance goals, each checked against a run as met, not met, or not measured. */
final class Goals {

    /**
     * One goal for one Sluice variant.
     *
     * @param met null when the run did not measure it (scenario not run, nginx missing)
     */
    record Goal(String scenario, String goal, String target, String got, Boolean met) {

        String verdict() {
            return met == null ? "not measured" : met ? "met" : "NOT MET";
        }
    }

    private static final String LITTLE_CPU = "too little CPU to measure";

    /** OS threads a busy JVM may add without any stream holding one: JIT and GC workers. */
    static final int THREAD_ALLOWANCE = 8;

    private final Report.Lookup results;
    private final List<Goal> goals = new ArrayList<>();

    private Goals(Report.Lookup results) {
        this.results = results;
    }

    static List<Goal> check(Report.Lookup results, List<Target> targets) {
        Goals goals = new Goals(results);
        for (Target target : targets) {
            if (target.name().startsWith("sluice")) {
                goals.check(target);
            }
        }
        return List.copyOf(goals.goals);
    }

    private void check(Target sluice) {
        String name = sluice.name();
        Result paced = results.find("paced-1000", name);
        if (paced != null) {
            Result nginx = results.find("paced-1000", "nginx");
            double added99 = results.added(paced).p99();
            add("paced-1000", "added p99 latency <= nginx's", name, nginx == null
                    ? ms(added99) : ms(added99) + " vs nginx " + ms(results.added(nginx).p99()),
                    nginx == null ? null : added99 <= results.added(nginx).p99());
            double added50 = results.added(paced).p50();
            add("paced-1000", "added p50 latency <= 0.3 ms", name, ms(added50), added50 <= 0.3);
            double cpu = paced.cpuMicrosPerEvent();
            boolean measured = Report.measured(paced.cpuSeconds())
                    && (nginx == null || Report.measured(nginx.cpuSeconds()));
            add("paced-1000", "CPU per event <= 1.5x nginx's", name, !measured ? LITTLE_CPU
                    : nginx == null ? us(cpu)
                    : us(cpu) + " vs nginx " + us(nginx.cpuMicrosPerEvent()),
                    nginx == null || !measured ? null : cpu <= 1.5 * nginx.cpuMicrosPerEvent());
        }
        Result held = results.find("held-8k", name);
        if (held != null) {
            LoadClient.Run run = held.run();
            add("held-8k", "all streams sustained", name, run.sustained() + "/" + run.streams()
                    + " sustained, " + run.errors() + " failed, " + run.stalled() + " stalled",
                    run.sustained() == run.streams());
            double added99 = results.added(held).p99();
            add("held-8k", "added p99 latency <= 5 ms", name, ms(added99), added99 <= 5);
            double perStream = held.rssPerStreamKib();
            boolean memory = Report.memoryMeasured(held);
            add("held-8k", "RSS per open stream <= 16 KiB above idle", name, memory
                    ? String.format(Locale.ROOT, "%.1f KiB", perStream) : "too few streams to "
                    + "measure", memory ? perStream <= 16 : null);
            add("held-8k", "no OS thread growth (<= " + THREAD_ALLOWANCE + " for JIT and GC)",
                    name, held.threadsIdle() + " idle, " + held.threadsPeak() + " at peak",
                    held.threadsPeak() - held.threadsIdle() <= THREAD_ALLOWANCE);
        }
        Result fire = results.find("firehose", name);
        if (fire != null) {
            Result nginx = results.find("firehose", "nginx");
            double rate = fire.eventsPerSecond();
            add("firehose", "events/s >= 0.8x nginx's", name, nginx == null ? rate(rate)
                    : rate(rate) + " vs nginx " + rate(nginx.eventsPerSecond()),
                    nginx == null ? null : rate >= 0.8 * nginx.eventsPerSecond());
            double cpu = fire.cpuMicrosPerEvent();
            boolean measured = Report.measured(fire.cpuSeconds());
            add("firehose", "CPU per event <= 2 us", name, measured ? us(cpu) : LITTLE_CPU,
                    measured ? cpu <= 2 : null);
        }
        double startup = sluice.startupMillis();
        add("start-up", "process start to first /healthz < 1 s", name,
                String.format(Locale.ROOT, "%.0f ms", startup),
                Double.isNaN(startup) ? null : startup < 1_000);
    }

    private void add(String scenario, String goal, String target, String got, Boolean met) {
        goals.add(new Goal(scenario, goal, target, got, met));
    }

    private static String ms(double value) {
        return Report.ms(value) + " ms";
    }

    private static String us(double value) {
        return String.format(Locale.ROOT, "%.2f us", value);
    }

    private static String rate(double value) {
        return String.format(Locale.ROOT, "%.0f events/s", value);
    }
}
