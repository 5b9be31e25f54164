package dev.sluice.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Sluice's performance targets, each checked against a run as met, missed or not measured, with
 * its ratio: to nginx's figure where the target is one, else to the limit.
 */
final class Goals {

    /**
     * One goal for one Sluice variant.
     *
     * @param ratio the measured figure over nginx's or over the limit, or "-"
     * @param met null when the run did not measure it (scenario not run, a peer missing, too
     *     little CPU or too few events to resolve it)
     */
    record Goal(String scenario, String goal, String target, String got, String ratio,
            Boolean met) {

        String verdict() {
            return met == null ? "not measured" : met ? "met" : "MISSED";
        }
    }

    private static final String LITTLE_CPU = "too little CPU to measure";
    private static final String FEW_EVENTS = "too few events to measure";
    private static final String NO_DIRECT = "direct not in this run";
    /** A ratio of two p99s needs ten times the events that one p99 does. */
    private static final double P99_COMPARED = Report.P99 + 1;
    private static final double PEAK_RSS_MB = 160;

    private final Report.Lookup results;
    private final List<Goal> goals = new ArrayList<>();

    private Goals(Report.Lookup results) {
        this.results = results;
    }

    /** @param ready per Sluice variant, each cold start's milliseconds to {@code /readyz} 200 */
    static List<Goal> check(Report.Lookup results, List<Target> targets,
            Map<String, List<Double>> ready) {
        Goals goals = new Goals(results);
        for (Target target : targets) {
            if (target.name().startsWith("sluice")) {
                goals.check(target, ready.getOrDefault(target.name(), List.of()));
            }
        }
        return List.copyOf(goals.goals);
    }

    private void check(Target sluice, List<Double> ready) {
        String name = sluice.name();
        Result paced = results.find("paced-1000", name);
        if (paced != null) {
            paced(name, paced);
        }
        Result cold = results.find(Scenario.COLD, name);
        if (cold != null) {
            cold(name, cold, paced, ready);
        }
        Result resumable = results.find("paced-1000-resumable", name);
        if (paced != null && resumable != null) {
            resumable(name, paced, resumable);
        }
        for (Result pooled : results.results()) {
            if (pooled.scenario().pooled() && pooled.target().equals(name)) {
                pooled(pooled, results.find(BenchKeys.singleKey(pooled.scenario().name()),
                        BenchKeys.singleKey(name)));
            }
        }
        Result held = results.find("held-8k", name);
        if (held != null) {
            held(name, held);
        }
        Result fire = results.find("firehose", name);
        if (fire != null) {
            Result nginx = results.find("firehose", "nginx");
            double rate = fire.eventsPerSecond();
            double base = nginx == null ? Double.NaN : nginx.eventsPerSecond();
            add("firehose", "events/s >= 0.7x nginx's", name, nginx == null ? rate(rate)
                    : rate(rate) + " vs nginx " + rate(base), times(rate / base, "nginx"),
                    nginx == null ? null : rate >= 0.7 * base);
            ownPerEvent("firehose", fire, 0.3);
        }
        double startup = sluice.startupMillis();
        add("start-up", "process start to first /healthz < 1 s", name,
                String.format(Locale.ROOT, "%.0f ms", startup),
                times(startup / 1_000, "the limit"), Double.isNaN(startup) ? null
                        : startup < 1_000);
    }

    private void paced(String name, Result paced) {
        String scenario = "paced-1000";
        ownPerEvent(scenario, paced, 3);
        Result nginx = results.find(scenario, "nginx");
        double cpu = paced.cpuMicrosPerEvent();
        boolean measured = Report.measured(paced.cpuSeconds());
        if (nginx == null || !measured || !Report.measured(nginx.cpuSeconds())) {
            add(scenario, "CPU per event <= 2.5x nginx's", name,
                    measured && nginx == null ? us(cpu) : LITTLE_CPU, "-", null);
        } else {
            double base = nginx.cpuMicrosPerEvent();
            double ratio = Math.max(cpu, 1) / Math.max(base, 1);
            add(scenario, "CPU per event <= 2.5x nginx's", name, us(cpu) + " vs nginx "
                    + us(base), times(ratio, "nginx"), ratio <= 2.5);
        }
        atMost(scenario, "added first byte p50 <= 1 ms", paced, r -> r.run().firstByte(),
                results.addedFirstByte(paced).p50(), Report.P50, 1);
        atMost(scenario, "added p50 per event <= 0.5 ms", paced, r -> r.run().latency(),
                results.added(paced).p50(), Report.P50, 0.5);
        relativeP99(scenario, "added p99 per event <= 3x nginx's", paced,
                r -> r.run().latency(), results::added, "nginx", 3);
        List<Pauses.Pause> pauses = paced.pauses();
        Pauses.Pause longest = pauses == null ? null : Pauses.longest(pauses);
        double longestMs = longest == null ? 0 : longest.millis();
        add(scenario, "no stop-the-world pause over 10 ms", name, pauses == null
                ? "no pause log" : pauses.size() + " pauses, longest " + (longest == null
                        ? "-" : ms(longestMs) + " (" + longest.operation() + ")"),
                times(longestMs / Report.LONG_PAUSE_MS, "the limit"),
                pauses == null ? null : longestMs <= Report.LONG_PAUSE_MS);
        double peakMb = paced.peakRssKib() * 1024 / 1e6;
        add(scenario, "peak RSS <= 160 MB (as started: " + name + "'s flags)", name,
                String.format(Locale.ROOT, "%.0f MB", peakMb), times(peakMb / PEAK_RSS_MB,
                        "the limit"), paced.peakRssKib() > 0 ? peakMb <= PEAK_RSS_MB : null);
        // The JVM peer: Sluice should beat it on both; reported either way.
        Result jetty = results.find(scenario, "jetty-proxy");
        if (jetty != null) {
            boolean both = measured && Report.measured(jetty.cpuSeconds());
            double base = jetty.cpuMicrosPerEvent();
            add(scenario, "CPU per event < jetty-proxy's", name, both ? us(cpu)
                    + " vs jetty-proxy " + us(base) : LITTLE_CPU,
                    both ? times(cpu / base, "jetty-proxy") : "-", both ? cpu < base : null);
            relativeP99(scenario, "added p99 per event < jetty-proxy's", paced,
                    r -> r.run().latency(), results::added, "jetty-proxy", 1);
        }
    }

    /**
     * A new process's burst against the same variant's paced-1000 after the full warm-up: first
     * bytes and the tail at most twice warm's, CPU per event at most 1.2 times, and ready soon.
     *
     * @param warm paced-1000's result, or null when the run has none
     */
    private void cold(String name, Result cold, Result warm, List<Double> ready) {
        String scenario = Scenario.COLD;
        double readyMs = median(ready);
        add(scenario, "process start to /readyz 200 < 5 s", name, Double.isNaN(readyMs)
                ? "not measured" : String.format(Locale.ROOT, "%.0f ms (median of %d)", readyMs,
                        ready.size()), times(readyMs / 5_000, "the limit"),
                Double.isNaN(readyMs) ? null : readyMs < 5_000);
        String firstByte = "added first byte p50 <= 2x warm paced-1000's and <= 10 ms";
        String tail = "added p99 per event <= 2x warm paced-1000's";
        String cpu = "CPU per event <= 1.2x warm paced-1000's";
        if (warm == null) {
            for (String goal : List.of(firstByte, tail, cpu)) {
                add(scenario, goal, name, "paced-1000 not in this run: make bench SCENARIO="
                        + "paced-1000," + scenario, "-", null);
            }
            return;
        }
        Result direct = results.find(scenario, "direct");
        Result warmDirect = results.find("paced-1000", "direct");
        boolean both = direct != null && warmDirect != null;
        boolean resolved = both && Report.resolved(cold.run().firstByte(), Report.P50 + 1)
                && Report.resolved(warm.run().firstByte(), Report.P50 + 1);
        double coldFirst = results.addedFirstByte(cold).p50();
        double warmFirst = results.addedFirstByte(warm).p50();
        double ratio = floored(coldFirst) / floored(warmFirst);
        add(scenario, firstByte, name, resolved ? ms(coldFirst) + " vs warm " + ms(warmFirst)
                : both ? FEW_EVENTS : NO_DIRECT, resolved ? times(ratio, "warm") : "-",
                resolved ? ratio <= 2 && coldFirst <= 10 : null);
        resolved = both && Report.resolved(cold.run().latency(), P99_COMPARED)
                && Report.resolved(warm.run().latency(), P99_COMPARED);
        double coldTail = results.added(cold).p99();
        double warmTail = results.added(warm).p99();
        ratio = floored(coldTail) / floored(warmTail);
        add(scenario, tail, name, resolved ? ms(coldTail) + " vs warm " + ms(warmTail)
                : both ? FEW_EVENTS : NO_DIRECT, resolved ? times(ratio, "warm") : "-",
                resolved ? ratio <= 2 : null);
        boolean measured = Report.measured(cold.cpuSeconds())
                && Report.measured(warm.cpuSeconds());
        ratio = cold.cpuMicrosPerEvent() / warm.cpuMicrosPerEvent();
        add(scenario, cpu, name, measured ? us(cold.cpuMicrosPerEvent()) + " vs warm "
                + us(warm.cpuMicrosPerEvent()) : LITTLE_CPU, measured ? times(ratio, "warm")
                : "-", measured ? ratio <= 1.2 : null);
    }

    /** A latency at least the ratio floor of {@link Report#LATENCY_FLOOR_MS}. */
    private static double floored(double ms) {
        return Math.max(ms, Report.LATENCY_FLOOR_MS);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().filter(v -> !Double.isNaN(v)).sorted().toList();
        return sorted.isEmpty() ? Double.NaN : sorted.get((sorted.size() - 1) / 2);
    }

    /**
     * What a resumable stream costs beside a plain one, the same load: each event appended to
     * the replay log and carrying an id line.
     */
    private void resumable(String name, Result plain, Result resumable) {
        String scenario = "paced-1000-resumable";
        boolean measured = Report.measured(plain.cpuSeconds())
                && Report.measured(resumable.cpuSeconds());
        double more = resumable.cpuMicrosPerEvent() - plain.cpuMicrosPerEvent();
        add(scenario, "CPU per event <= 2 us above paced-1000's", name, measured
                ? us(resumable.cpuMicrosPerEvent()) + " vs plain " + us(plain.cpuMicrosPerEvent())
                        + " (" + (more < 0 ? "≈ 0" : "+" + us(more)) + ")" : LITTLE_CPU,
                measured ? times(Math.max(more, 0) / 2, "the limit") : "-",
                measured ? more <= 2 : null);
        Result direct = results.find(scenario, "direct");
        boolean resolved = direct != null
                && Report.resolved(resumable.run().latency(), P99_COMPARED)
                && Report.resolved(plain.run().latency(), P99_COMPARED);
        double p99 = results.added(resumable).p99();
        double base = results.added(plain).p99();
        add(scenario, "added p99 per event <= 1 ms above paced-1000's", name, resolved
                ? ms(p99) + " vs plain " + ms(base) : direct == null ? NO_DIRECT : FEW_EVENTS,
                resolved ? times(
                        Math.max(p99, Report.LATENCY_FLOOR_MS)
                        / Math.max(base, Report.LATENCY_FLOOR_MS), "plain") : "-",
                resolved ? p99 <= base + 1 : null);
    }

    /**
     * Sluice with a key pool, one key rate-limited, beside the same collector's single-key Sluice
     * in the same load with one key (paced-1000 for paced-1000-keys): every stream completes, as
     * a 429 is taken on another key before the client sees anything, at no CPU per event beyond
     * the noise.
     *
     * @param single the single-key Sluice's result, or null when the run has none
     */
    private void pooled(Result pooled, Result single) {
        String name = pooled.target();
        String scenario = pooled.scenario().name();
        String singleScenario = BenchKeys.singleKey(scenario);
        LoadClient.Run run = pooled.run();
        long limited = pooled.rateLimited();
        add(scenario, "every stream completes", name, run.completed() + "/" + run.streams()
                + " completed (" + run.opened() + " started), " + limited + " answered 429 by "
                + "the upstream" + (limited > 0 ? "" : ": no request carried "
                + BenchKeys.THROTTLED + " alone (a Sluice without key pools sends the whole list "
                + "as one key)") + (run.firstError() == null ? "" : "; first failure: "
                + run.firstError()), "-", run.completed() < run.streams() ? Boolean.FALSE
                        : limited > 0 ? Boolean.TRUE : null);
        String goal = "CPU per event within noise of single-key " + singleScenario + "'s (<= 2 "
                + "us above, plus the pump's move between the two)";
        if (single == null) {
            add(scenario, goal, name, singleScenario + " not in this run: make bench SCENARIO="
                    + singleScenario + "," + scenario, "-", null);
            return;
        }
        if (!Report.measured(pooled.cpuSeconds()) || !Report.measured(single.cpuSeconds())) {
            add(scenario, goal, name, LITTLE_CPU, "-", null);
            return;
        }
        double more = pooled.cpuMicrosPerEvent() - single.cpuMicrosPerEvent();
        Result pump = results.find(scenario, Report.PUMP);
        Result singlePump = results.find(singleScenario, Report.PUMP);
        boolean pumps = pump != null && singlePump != null && Report.measured(pump.cpuSeconds())
                && Report.measured(singlePump.cpuSeconds());
        double move = pumps ? pump.cpuMicrosPerEvent() - singlePump.cpuMicrosPerEvent() : 0;
        double limit = 2 + Math.abs(move);
        add(scenario, goal, name, us(pooled.cpuMicrosPerEvent()) + " vs single-key "
                + single.target() + " " + us(single.cpuMicrosPerEvent()) + " (" + signed(more)
                + (pumps ? "; the pump " + us(pump.cpuMicrosPerEvent()) + " vs "
                        + us(singlePump.cpuMicrosPerEvent()) + ", " + signed(move) : "") + ")",
                times(Math.max(more, 0) / limit, "the limit"), more <= limit);
    }

    private void held(String name, Result held) {
        String scenario = "held-8k";
        LoadClient.Run run = held.run();
        add(scenario, "all streams sustained", name, run.sustained() + "/" + run.streams()
                + " sustained, " + run.errors() + " failed, " + run.stalled() + " stalled",
                "-", run.sustained() == run.streams());
        double own = results.ownCpuPerNewStream(held);
        add(scenario, "own cost per new stream <= 100 us (Sluice - pump)", name,
                Double.isNaN(own) ? LITTLE_CPU : own(own) + " (" + us(held.cpuMicrosPerNewStream())
                        + " - pump " + us(results.find(scenario, Report.PUMP)
                                .cpuMicrosPerNewStream()) + ")",
                Double.isNaN(own) ? "-" : times(Math.max(own, 0) / 100, "the limit"),
                Double.isNaN(own) ? null : own <= 100);
        relativeP99(scenario, "added p99 once all streams are open <= 3x nginx's", held,
                r -> r.run().latencyAllOpen(), results::addedAllOpen, "nginx", 3);
        double perStream = held.rssPerStreamKib();
        boolean memory = Report.memoryMeasured(held);
        add(scenario, "RSS per open stream <= 20 KiB above idle", name, memory
                ? String.format(Locale.ROOT, "%.1f KiB", perStream) : "too few streams to "
                + "measure", memory ? times(perStream / 20, "the limit") : "-",
                memory ? perStream <= 20 : null);
    }

    /** Sluice's CPU per event less the pump's, at most {@code limit} microseconds. */
    private void ownPerEvent(String scenario, Result sluice, double limit) {
        double own = results.ownCpuPerEvent(sluice);
        Result pump = results.find(scenario, Report.PUMP);
        add(scenario, "own cost <= " + fixed(limit) + " us per event (Sluice - pump)",
                sluice.target(), Double.isNaN(own) ? pump == null ? "no pump in this run"
                        : LITTLE_CPU : own(own) + " (" + us(sluice.cpuMicrosPerEvent())
                        + " - pump " + us(pump.cpuMicrosPerEvent()) + ")",
                Double.isNaN(own) ? "-" : times(Math.max(own, 0) / limit, "the limit"),
                Double.isNaN(own) ? null : own <= limit);
    }

    /** An added latency at most {@code limit} ms, where the run resolves the percentile. */
    private void atMost(String scenario, String goal, Result sluice,
            Function<Result, Stats> of, double added, double x, double limit) {
        Result direct = results.find(scenario, "direct");
        boolean resolved = direct != null && Report.resolved(of.apply(sluice), x)
                && Report.resolved(of.apply(direct), x);
        add(scenario, goal, sluice.target(), resolved ? ms(added) : direct == null ? NO_DIRECT
                : FEW_EVENTS,
                resolved ? times(Math.max(added, 0) / limit, "the limit") : "-",
                resolved ? added <= limit : null);
    }

    /**
     * An added p99 at most {@code factor} times a peer's, both counted as at least the ratio
     * floor of {@link Report#LATENCY_FLOOR_MS}, where the run resolves a ratio of two p99s.
     */
    private void relativeP99(String scenario, String goal, Result sluice,
            Function<Result, Stats> of, Function<Result, Stats> added, String peerName,
            double factor) {
        Result peer = results.find(scenario, peerName);
        Result direct = results.find(scenario, "direct");
        if (peer == null || direct == null) {
            add(scenario, goal, sluice.target(), peer == null ? peerName + " not in this run"
                    : NO_DIRECT, "-", null);
            return;
        }
        boolean resolved = Report.resolved(of.apply(sluice), P99_COMPARED)
                && Report.resolved(of.apply(peer), P99_COMPARED)
                && Report.resolved(of.apply(direct), P99_COMPARED);
        double value = added.apply(sluice).p99();
        double base = added.apply(peer).p99();
        double ratio = Math.max(value, Report.LATENCY_FLOOR_MS)
                / Math.max(base, Report.LATENCY_FLOOR_MS);
        add(scenario, goal, sluice.target(), resolved ? ms(value) + " vs " + peerName + " "
                + ms(base) : FEW_EVENTS, resolved ? times(ratio, peerName) : "-",
                resolved ? ratio <= factor && (factor > 1 || value < base) : null);
    }

    private void add(String scenario, String goal, String target, String got, String ratio,
            Boolean met) {
        goals.add(new Goal(scenario, goal, target, got, ratio, met));
    }

    private static String times(double ratio, String of) {
        return Double.isNaN(ratio) || Double.isInfinite(ratio) ? "-"
                : String.format(Locale.ROOT, "%.2fx %s", ratio, of);
    }

    private static String ms(double value) {
        return Report.ms(value) + " ms";
    }

    private static String us(double value) {
        return String.format(Locale.ROOT, "%.2f us", value);
    }

    private static String signed(double value) {
        return (value < 0 ? "-" : "+") + us(Math.abs(value));
    }

    /** An own cost; below zero it is less than the noise, as the report's tables show it. */
    private static String own(double value) {
        return value < 0 ? "≈ 0 (" + us(value) + ")" : us(value);
    }

    private static String fixed(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    private static String rate(double value) {
        return String.format(Locale.ROOT, "%.0f events/s", value);
    }
}
