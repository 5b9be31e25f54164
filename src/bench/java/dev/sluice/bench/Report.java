package dev.sluice.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/** The results of one run as {@code report.md}, {@code report.json}, a chart and a summary. */
final class Report {

    /** Finds results, and a result's latency above direct's at the same percentiles. */
    record Lookup(List<Result> results) {

        Result find(String scenario, String target) {
            for (Result result : results) {
                if (result.scenario().name().equals(scenario) && result.target().equals(target)) {
                    return result;
                }
            }
            return null;
        }

        Stats added(Result result) {
            return added(result, r -> r.run().latency());
        }

        Stats addedAllOpen(Result result) {
            return added(result, r -> r.run().latencyAllOpen());
        }

        Stats addedFirstByte(Result result) {
            return added(result, r -> r.run().firstByte());
        }

        /** Nothing added ({@link Stats#UNKNOWN}) where direct did not run the scenario. */
        private Stats added(Result result, Function<Result, Stats> of) {
            Result direct = find(result.scenario().name(), "direct");
            return direct == null ? Stats.UNKNOWN : of.apply(result).minus(of.apply(direct));
        }

        /** A result's CPU per event less the pump's, or NaN where either is not measured. */
        double ownCpuPerEvent(Result result) {
            Result pump = find(result.scenario().name(), PUMP);
            return pump == null || !measured(result.cpuSeconds())
                    || !measured(pump.cpuSeconds()) ? Double.NaN
                    : result.cpuMicrosPerEvent() - pump.cpuMicrosPerEvent();
        }

        /** A result's CPU per new stream less the pump's, or NaN where either is not measured. */
        double ownCpuPerNewStream(Result result) {
            Result pump = find(result.scenario().name(), PUMP);
            return pump == null || !openingMeasured(result) || !openingMeasured(pump)
                    ? Double.NaN : result.cpuMicrosPerNewStream() - pump.cpuMicrosPerNewStream();
        }
    }

    /**
     * A table row: a label, a cell per target, and a number to divide by nginx's, if any (NaN
     * where it was not measured), with the floor below which the number is noise.
     */
    private record Row(String label, Function<Result, String> cell,
            ToDoubleFunction<Result> ratio, double floor) {

        Row(String label, Function<Result, String> cell) {
            this(label, cell, null, 0);
        }
    }

    /**
     * CPU time is counted in clock ticks (10 ms): below this many, one tick more or less moves a
     * figure by over 2%, and a short run's figures are a handful of ticks.
     */
    static final int MIN_TICKS = 50;
    /** The target whose CPU is the floor of Sluice's shape: Sluice's own cost is above it. */
    static final String PUMP = "pump";
    /** Stop-the-world pauses longer than this are listed one by one. */
    static final double LONG_PAUSE_MS = 10;
    /** Fewer open streams than this leave resident memory per stream to page and heap noise. */
    static final int MIN_STREAMS = 100;
    /** Ratios treat smaller latencies as this: below it, differences are scheduling noise. */
    static final double LATENCY_FLOOR_MS = 0.1;
    private static final String FEW_EVENTS = "too few events to measure";
    /** The same, within a cell of several figures. */
    private static final String FEW = "too few events";
    private static final String LITTLE_CPU = "too little CPU to measure";
    private static final String FEW_STREAMS = "too few streams to measure";
    /** Curve positions ({@link Stats#CURVE_X}) of the percentiles in the tables. */
    static final double P50 = 0.30103;
    static final double P99 = 2;
    private static final double P999 = 3;
    private static final Function<Result, Stats> FIRST_BYTE = r -> r.run().firstByte();
    private static final Function<Result, Stats> LATENCY = r -> r.run().latency();
    private static final Function<Result, Stats> ALL_OPEN = r -> r.run().latencyAllOpen();

    private final List<Target> targets;
    private final Lookup results;
    private final List<Scenario> scenarios;
    private final List<Goals.Goal> goals;
    private final Rounds rounds;
    private final List<String> failures;
    private final Map<String, List<Double>> ready;
    private final double seconds;
    private final String loadBefore;
    private final String loadAfter = loadAverage();
    private final String date = ZonedDateTime.now().truncatedTo(ChronoUnit.SECONDS)
            .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);

    /**
     * @param rounds the scenarios' results: the tables and goals show each one's median round
     * @param failures the targets that exited during the run, a line each
     * @param ready per Sluice variant, each cold start's milliseconds to {@code /readyz} 200
     */
    Report(List<Target> targets, List<Result> firstByte, Rounds rounds, List<String> failures,
            Map<String, List<Double>> ready, double seconds, String loadBefore) {
        this.targets = targets;
        this.failures = List.copyOf(failures);
        this.ready = Map.copyOf(ready);
        this.loadBefore = loadBefore;
        this.rounds = rounds;
        List<Result> results = rounds.median();
        List<Result> all = new ArrayList<>(firstByte);
        all.addAll(results);
        this.results = new Lookup(all);
        this.scenarios = results.stream().map(Result::scenario).distinct().toList();
        this.goals = Goals.check(this.results, targets, ready);
        this.seconds = seconds;
    }

    void write(Path dir) throws IOException {
        Files.writeString(dir.resolve("report.md"), markdown());
        Files.writeString(dir.resolve("report.json"), Json.write(json()));
        Files.writeString(dir.resolve("latency.svg"), Svg.chart(results, scenarios, targets));
    }

    /** The goals and Sluice's ratios to nginx, for the terminal. */
    String summary() {
        StringBuilder out = new StringBuilder("Sluice / nginx, same run (below 1 is better, but for"
                + " events/s):\n");
        for (Scenario scenario : scenarios) {
            Result nginx = results.find(scenario.name(), "nginx");
            for (Target target : sluices()) {
                Result sluice = results.find(scenario.name(), target.name());
                if (sluice == null || nginx == null) {
                    continue;
                }
                out.append(String.format(Locale.ROOT, "  %-11s %-11s", scenario.name(),
                        target.name()));
                for (Row row : rows(scenario)) {
                    if (row.ratio() != null) {
                        out.append("  ").append(row.label().replaceAll(" \\(.*", "")).append(' ')
                                .append(ratio(row, sluice, nginx));
                    }
                }
                out.append('\n');
            }
        }
        out.append(rounds.summary(sluices()));
        failures.forEach(failure -> out.append("FAILED: ").append(failure).append('\n'));
        out.append("Goals:\n");
        for (Goals.Goal goal : goals) {
            out.append(String.format(Locale.ROOT, "  %-12s %-10s %-11s %s: %s%s%n",
                    goal.verdict(), goal.scenario(), goal.target(), goal.goal(), goal.got(),
                    goal.ratio().equals("-") ? "" : " (" + goal.ratio() + ")"));
        }
        return out.toString();
    }

    private String markdown() {
        StringBuilder md = new StringBuilder("# Sluice benchmark\n\n");
        md.append(String.format(Locale.ROOT, "Run of %s, %.0f s in all, on %d cores, Linux %s, "
                        + "Java %s; the load client is one NIO thread in the benchmark's JVM. "
                        + "Load average before: %s; after: %s.%n%n",
                date, seconds, Runtime.getRuntime().availableProcessors(), kernel(),
                Runtime.version(), loadBefore, loadAfter));
        md.append("| target | setup |\n| --- | --- |\n");
        for (Target target : targets) {
            md.append("| ").append(target.name()).append(" | ").append(setup(target))
                    .append(" |\n");
        }
        md.append("""

                Every target is measured in turn on 127.0.0.1, with the others idle. *Added* is a
                target's percentile minus direct's at the same percentile. A stream is *sustained*
                when all its events arrive in order with `[DONE]` and no pause exceeds 10x the
                pacing (1 s for the firehose). CPU is user + system time from `/proc/PID/stat`
                (nginx: master and workers); CPU us per event equals CPU seconds per million
                events. Machines are noisy: compare within a run, not across runs.

                """);
        howToRead(md);
        if (!failures.isEmpty()) {
            md.append("\n## Failures\n\n");
            failures.forEach(failure -> md.append("- ").append(failure).append('\n'));
        }
        md.append("""

                ## Goals

                | scenario | goal | target | measured | ratio | verdict |
                | --- | --- | --- | --- | ---: | --- |
                """);
        for (Goals.Goal goal : goals) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n",
                    goal.scenario(), goal.goal(), goal.target(), goal.got(), goal.ratio(),
                    Boolean.TRUE.equals(goal.met()) ? "met" : "**" + goal.verdict() + "**"));
        }
        md.append("\n## Time to first byte, one stream at a time\n\n");
        table(md, Scenario.FIRST_BYTE, firstByteRows());
        for (Scenario scenario : scenarios) {
            md.append(String.format(Locale.ROOT, "%n## %s: %d streams x %d events, %d ms apart%s, "
                            + "opened over %.1f s%n%n", scenario.name(), scenario.streams(),
                    scenario.events(), scenario.gapMs(), scenario.silenceMs() == 0 ? ""
                            : String.format(Locale.ROOT, ", silent %.1f s in the middle",
                                    scenario.silenceMs() / 1e3), scenario.rampMs() / 1e3));
            if (scenario.pooled()) {
                pooled(md, scenario);
            }
            table(md, scenario, rows(scenario));
        }
        md.append(rounds.markdown(sluices()));
        longPauses(md);
        md.append("\n## Added latency per event\n\n![added latency per event](latency.svg)\n");
        return md.toString();
    }

    /** What a pooled scenario's table shows, and why most targets are not in it. */
    private static void pooled(StringBuilder md, Scenario scenario) {
        md.append(String.format(Locale.ROOT, """
                The load of %1$s against Sluice started with a key pool (%2$s), which should take
                each 429 on another key before the client sees anything; the goals compare its
                CPU per event with the same collector's single-key Sluice in %1$s. The other
                relays have no key pool and would relay %1$s again, so only direct (for the added
                latencies) and the pump (the floor for the own cost) run it beside Sluice; neither
                sends a key of the pool, so the upstream answers them no 429.

                """, BenchKeys.singleKey(scenario.name()), BenchKeys.setup()));
    }

    /** Per run, the stop-the-world pauses over {@link #LONG_PAUSE_MS}, from the JVMs' logs. */
    private void longPauses(StringBuilder md) {
        md.append(String.format(Locale.ROOT, "%n## Stop-the-world pauses over %s ms%n%n"
                + "From each JVM's own log (`-Xlog:safepoint`: every safepoint, a garbage "
                + "collection's pauses among them), within the measured runs only.%n%n",
                fixed(LONG_PAUSE_MS, 0)));
        int listed = 0;
        for (Scenario scenario : scenarios) {
            for (Target target : targets) {
                Result result = results.find(scenario.name(), target.name());
                if (result == null || result.pauses() == null) {
                    continue;
                }
                List<Pauses.Pause> longOnes = result.pauses().stream()
                        .filter(p -> p.millis() > LONG_PAUSE_MS)
                        .sorted((a, b) -> Double.compare(b.millis(), a.millis())).toList();
                if (longOnes.isEmpty()) {
                    continue;
                }
                if (listed++ == 0) {
                    md.append("| scenario | target | pauses over " + fixed(LONG_PAUSE_MS, 0)
                            + " ms | their total (ms) | longest (ms) |\n"
                            + "| --- | --- | ---: | ---: | --- |\n");
                }
                List<String> longest = longOnes.stream().limit(3)
                        .map(p -> ms(p.millis()) + " " + p.operation()).toList();
                md.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s |%n",
                        scenario.name(), target.name(), longOnes.size(),
                        ms(longOnes.stream().mapToDouble(Pauses.Pause::millis).sum()),
                        String.join(", ", longest)));
            }
        }
        if (listed == 0) {
            md.append("None.\n");
        }
    }

    private void howToRead(StringBuilder md) {
        md.append(String.format(Locale.ROOT, """

                ## How to read it

                - A figure is shown only where the run can resolve it; elsewhere the table says
                  so. A percentile needs enough events (p99 at least 100, p99.9 at least 1,000),
                  and a ratio of two ten times as many (a maximum's, as many as a p99.9's).
                  CPU figures need at least %d clock ticks (%.1f s) of CPU time: `/proc` counts
                  CPU in ticks of %.0f ms, and one tick more or less must not move a figure by
                  more than 2%%. Memory per open stream needs at least %d open streams, as memory
                  grows by pages and heap regions, not by streams.
                - *Added* latency is the difference of two noisy measurements: a negative one,
                  shown as `≈ 0`, means the relay added less than the noise.
                - In the ratios to nginx, latencies under %s ms count as %s ms, CPU under 1 us
                  per event as 1 us, context switches under 0.1 per event as 0.1 and memory
                  under 1 KiB per stream as 1 KiB, so that a tiny denominator does not turn a
                  small difference into a large factor. A ratio marked `≥` had nginx's figure
                  under the floor: the true ratio is higher, but nginx's share is then noise.
                """, MIN_TICKS, MIN_TICKS / (double) Proc.CLOCK_TICKS,
                1000.0 / Proc.CLOCK_TICKS, MIN_STREAMS, fixed(LATENCY_FLOOR_MS, 1),
                fixed(LATENCY_FLOOR_MS, 1)));
        if (scenarios.contains(Scenario.SMOKE) || scenarios.contains(Scenario.SMOKE_KEYS)) {
            md.append("- `smoke` and `smoke-keys` only check that every target relays end to end:"
                    + " they have too few\n  events and streams for most figures. Read the full "
                    + "scenarios for numbers.\n");
        }
    }

    private void table(StringBuilder md, Scenario scenario, List<Row> rows) {
        List<String> names = targets.stream().map(Target::name).filter(scenario::runsOn)
                .toList();
        List<Target> sluices = sluices().stream().filter(t -> scenario.runsOn(t.name()))
                .toList();
        boolean ratios = results.find(scenario.name(), "nginx") != null;
        md.append("| |");
        names.forEach(name -> md.append(' ').append(name).append(" |"));
        if (ratios) {
            sluices.forEach(t -> md.append(' ').append(t.name()).append(" / nginx |"));
        }
        md.append("\n| --- |").append(" ---: |".repeat(names.size()
                + (ratios ? sluices.size() : 0))).append('\n');
        Result nginx = results.find(scenario.name(), "nginx");
        for (Row row : rows) {
            md.append("| ").append(row.label()).append(" |");
            for (String name : names) {
                Result result = results.find(scenario.name(), name);
                md.append(' ').append(result == null ? "missing" : row.cell().apply(result))
                        .append(" |");
            }
            if (ratios) {
                for (Target sluice : sluices) {
                    Result result = results.find(scenario.name(), sluice.name());
                    md.append(' ').append(row.ratio() == null || result == null ? ""
                            : ratio(row, result, nginx)).append(" |");
                }
            }
            md.append('\n');
        }
    }

    private List<Row> firstByteRows() {
        return List.of(
                new Row("first byte p50 / p99 (ms)", r -> percentile(r.run().firstByte(),
                        Stats::p50, P50) + " / " + percentile(r.run().firstByte(), Stats::p99,
                        P99)),
                added("added first byte p50 (ms)", FIRST_BYTE, Stats::p50, P50, P50 + 1),
                added("added first byte p99 (ms)", FIRST_BYTE, Stats::p99, P99, P99 + 1));
    }

    private List<Row> rows(Scenario scenario) {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("streams sustained / failed / stalled", r -> r.run().sustained() + "/"
                + r.run().streams() + " / " + r.run().errors() + " / " + r.run().stalled()));
        if (scenario.pooled()) {
            rows.add(new Row("streams completed / started", r -> r.run().completed() + " / "
                    + r.run().opened()));
            rows.add(new Row("requests the upstream answered 429", r -> number(r.rateLimited())));
        }
        rows.add(new Row("first byte at N, p50 / p99 (ms)", r -> percentile(r.run().firstByte(),
                Stats::p50, P50) + " / " + percentile(r.run().firstByte(), Stats::p99, P99)));
        rows.add(new Row("added first byte at N, p50 / p99 (ms)", r -> direct(r) ? "-"
                : addedCell(r, FIRST_BYTE, Stats::p50, P50) + " / "
                        + addedCell(r, FIRST_BYTE, Stats::p99, P99)));
        rows.add(new Row("event latency p50 / p99 / p99.9 / max (ms)", r -> {
            Stats s = r.run().latency();
            return percentile(s, Stats::p50, P50) + " / " + percentile(s, Stats::p99, P99)
                    + " / " + percentile(s, Stats::p999, P999) + " / " + ms(s.max());
        }));
        rows.add(added("added p50 (ms)", LATENCY, Stats::p50, P50, P50 + 1));
        rows.add(added("added p99 (ms)", LATENCY, Stats::p99, P99, P99 + 1));
        rows.add(added("added p99.9 (ms)", LATENCY, Stats::p999, P999, P999 + 1));
        // A maximum is one event whatever the count: compared only where a p99.9 could be.
        rows.add(added("added max (ms)", LATENCY, Stats::max, 0, P999));
        rows.add(new Row("once all streams were open: events, added p50 / p99 (ms)",
                r -> number(r.run().latencyAllOpen().count()) + (direct(r) ? ""
                        : ", " + addedCell(r, ALL_OPEN, Stats::p50, P50) + " / "
                                + addedCell(r, ALL_OPEN, Stats::p99, P99))));
        rows.add(new Row("events/s", r -> number(r.eventsPerSecond()), Result::eventsPerSecond,
                0));
        rows.add(new Row("MB/s", r -> fixed(r.megabytesPerSecond(), 1)));
        rows.add(new Row("CPU us per event", r -> cpu(r.cpuSeconds(), r.cpuMicrosPerEvent(), 2),
                r -> measured(r.cpuSeconds()) ? r.cpuMicrosPerEvent() : Double.NaN, 1));
        rows.add(new Row("own CPU us per event (Sluice - pump)", r -> !sluice(r) ? "-"
                : own(results.ownCpuPerEvent(r), 2)));
        rows.add(new Row("CPU us per new stream (the opening)", r -> openingMeasured(r)
                ? fixed(r.cpuMicrosPerNewStream(), 0) : LITTLE_CPU,
                r -> openingMeasured(r) ? r.cpuMicrosPerNewStream() : Double.NaN, 1));
        rows.add(new Row("own CPU us per new stream (Sluice - pump)", r -> !sluice(r) ? "-"
                : own(results.ownCpuPerNewStream(r), 0)));
        rows.add(new Row("context switches per event", r -> fixed(r.contextSwitchesPerEvent(), 2),
                Result::contextSwitchesPerEvent, 0.1));
        rows.add(new Row("CPU % of one core (of which system)", r -> measured(r.cpuSeconds())
                ? fixed(r.cpuPercent(), 0) + " (" + fixed(r.systemPercent(), 0) + "%)"
                : LITTLE_CPU));
        rows.add(new Row("RSS idle / all started / peak (MiB)", r -> mib(r.rssIdleKib()) + " / "
                + mib(r.rssStartedKib()) + " / " + mib(r.peakRssKib())));
        rows.add(new Row("RSS per open stream (KiB)", r -> memoryMeasured(r)
                ? fixed(r.rssPerStreamKib(), 1) : FEW_STREAMS,
                r -> memoryMeasured(r) ? r.rssPerStreamKib() : Double.NaN, 1));
        rows.add(new Row("peak RSS since start, VmHWM (MiB)", r -> mib(r.hwmKib())));
        rows.add(new Row("stop-the-world pauses: count, longest (ms)", r -> r.pauses() == null
                ? "-" : pauses(r.pauses())));
        rows.add(new Row("OS threads idle / peak", r -> r.threadsIdle() + " / "
                + r.threadsPeak()));
        rows.add(new Row("upstream CPU us per event", r -> cpu(r.upstreamCpuSeconds(),
                r.upstreamCpuMicrosPerEvent(), 2)));
        rows.add(new Row("load client CPU % of one core", r -> cpu(r.clientCpuSeconds(),
                r.clientCpuPercent(), 0)));
        rows.add(new Row("other work on the machine (cores)", r -> fixed(r.otherCores(), 2)));
        return rows;
    }

    /**
     * A latency a relay added over direct at one percentile, and its ratio to nginx's.
     *
     * @param shown the curve position that enough events to show the figure resolve
     * @param compared the same for a ratio, which needs ten times the events: two figures
     *     made of a few events each differ by chance alone
     */
    private Row added(String label, Function<Result, Stats> of,
            ToDoubleFunction<Stats> percentile, double shown, double compared) {
        return new Row(label, r -> direct(r) ? "-" : resolved(r, of, shown)
                ? addedCell(r, of, percentile, shown) : FEW_EVENTS,
                r -> resolved(r, of, compared) ? percentile.applyAsDouble(added(r, of))
                        : Double.NaN,
                LATENCY_FLOOR_MS);
    }

    private String addedCell(Result r, Function<Result, Stats> of,
            ToDoubleFunction<Stats> percentile, double x) {
        if (!resolved(r, of, x)) {
            return FEW;
        }
        double value = percentile.applyAsDouble(added(r, of));
        return value < 0 ? "≈ 0 (" + ms(value) + ")" : ms(value);
    }

    private Stats added(Result r, Function<Result, Stats> of) {
        return of.apply(r).minus(of.apply(results.find(r.scenario().name(), "direct")));
    }

    /** True when both this result and direct's have events enough for the percentile. */
    private boolean resolved(Result r, Function<Result, Stats> of, double x) {
        Result direct = results.find(r.scenario().name(), "direct");
        return direct != null && resolved(of.apply(r), x) && resolved(of.apply(direct), x);
    }

    static boolean resolved(Stats s, double x) {
        return s.count() > 0 && s.resolvedX() + 1e-9 >= x;
    }

    private static String percentile(Stats s, ToDoubleFunction<Stats> percentile, double x) {
        return resolved(s, x) ? ms(percentile.applyAsDouble(s)) : FEW;
    }

    /** True when {@code seconds} of CPU time spans enough clock ticks to compare. */
    static boolean measured(double seconds) {
        return Math.round(seconds * Proc.CLOCK_TICKS) >= MIN_TICKS;
    }

    /**
     * True when the opening's CPU time and the rest's (which prices the events relayed during
     * the opening) each span enough clock ticks.
     */
    static boolean openingMeasured(Result r) {
        return measured(r.openingCpuSeconds()) && (r.run().latencyAllOpen().count() == 0
                || measured(r.cpuSeconds() - r.openingCpuSeconds()));
    }

    /** An own cost: "≈ 0" where the difference is below zero, which is noise. */
    private static String own(double value, int decimals) {
        return Double.isNaN(value) ? LITTLE_CPU : value < 0
                ? "≈ 0 (" + fixed(value, decimals) + ")" : fixed(value, decimals);
    }

    private static String pauses(List<Pauses.Pause> pauses) {
        Pauses.Pause longest = Pauses.longest(pauses);
        return pauses.size() + (longest == null ? "" : ", " + ms(longest.millis()) + " ("
                + longest.operation() + ")");
    }

    private static String cpu(double seconds, double value, int decimals) {
        return measured(seconds) ? fixed(value, decimals) : LITTLE_CPU;
    }

    static boolean memoryMeasured(Result r) {
        return r.openAtSample() >= MIN_STREAMS && r.rssStartedKib() > r.rssIdleKib();
    }

    private Map<String, Object> json() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("date", date);
        root.put("seconds", seconds);
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("kernel", kernel());
        root.put("java", Runtime.version().toString());
        root.put("load_average_before", loadBefore);
        root.put("load_average_after", loadAfter);
        root.put("failures", failures);
        root.put("cold_start_ready_ms", ready);
        List<Object> list = new ArrayList<>();
        for (Target target : targets) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", target.name());
            entry.put("setup", setup(target));
            entry.put("available", target.available());
            entry.put("startup_ms", target.startupMillis());
            list.add(entry);
        }
        root.put("targets", list);
        root.put("curve_x", Stats.CURVE_X);
        list = new ArrayList<>();
        for (Scenario scenario : withFirstByte()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", scenario.name());
            entry.put("streams", scenario.streams());
            entry.put("events", scenario.events());
            entry.put("gap_ms", scenario.gapMs());
            entry.put("ramp_ms", scenario.rampMs());
            Map<String, Object> byTarget = new LinkedHashMap<>();
            for (Target target : targets) {
                Result result = results.find(scenario.name(), target.name());
                if (result != null) {
                    byTarget.put(target.name(), json(result));
                }
            }
            entry.put("results", byTarget);
            list.add(entry);
        }
        root.put("scenarios", list);
        list = new ArrayList<>();
        for (Goals.Goal goal : goals) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("scenario", goal.scenario());
            entry.put("goal", goal.goal());
            entry.put("target", goal.target());
            entry.put("measured", goal.got());
            entry.put("ratio", goal.ratio());
            entry.put("met", goal.met());
            list.add(entry);
        }
        root.put("goals", list);
        root.put("rounds", rounds.count());
        if (rounds.count() > 1) {
            root.put("by_round", rounds.json(sluices()));
        }
        return root;
    }

    private Map<String, Object> json(Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        LoadClient.Run run = r.run();
        m.put("streams", run.streams());
        m.put("started", run.opened());
        m.put("completed", run.completed());
        m.put("upstream_429s", r.rateLimited());
        m.put("sustained", run.sustained());
        m.put("failed", run.errors());
        m.put("stalled", run.stalled());
        m.put("first_error", run.firstError());
        m.put("events", run.events());
        m.put("bytes", run.bytes());
        m.put("seconds", run.seconds());
        m.put("events_per_s", r.eventsPerSecond());
        m.put("mb_per_s", r.megabytesPerSecond());
        m.put("first_byte_ms", stats(run.firstByte()));
        m.put("latency_ms", stats(run.latency()));
        m.put("latency_all_open_ms", stats(run.latencyAllOpen()));
        if (!direct(r)) {
            m.put("added_first_byte_ms", stats(results.addedFirstByte(r)));
            m.put("added_latency_ms", stats(results.added(r)));
            m.put("added_latency_all_open_ms", stats(results.addedAllOpen(r)));
        }
        m.put("latency_curve_ms", run.latency().curve());
        m.put("cpu_s", r.cpuSeconds());
        m.put("cpu_s_per_million_events", r.cpuMicrosPerEvent());
        m.put("cpu_measurable", measured(r.cpuSeconds()));
        m.put("cpu_percent", r.cpuPercent());
        m.put("system_cpu_s", r.systemCpuSeconds());
        m.put("context_switches", r.contextSwitches());
        m.put("opening_cpu_s", r.openingCpuSeconds());
        m.put("cpu_us_per_new_stream", r.cpuMicrosPerNewStream());
        m.put("cpu_per_new_stream_measurable", openingMeasured(r));
        if (sluice(r)) {
            m.put("own_cpu_us_per_event", results.ownCpuPerEvent(r));
            m.put("own_cpu_us_per_new_stream", results.ownCpuPerNewStream(r));
        }
        if (r.pauses() != null) {
            Pauses.Pause longest = Pauses.longest(r.pauses());
            m.put("pauses", r.pauses().size());
            m.put("longest_pause_ms", longest == null ? 0 : longest.millis());
            m.put("longest_pause_operation", longest == null ? null : longest.operation());
        }
        m.put("upstream_cpu_s", r.upstreamCpuSeconds());
        m.put("client_cpu_percent", r.clientCpuPercent());
        m.put("other_machine_cores", r.otherCores());
        m.put("rss_idle_kib", r.rssIdleKib());
        m.put("rss_all_started_kib", r.rssStartedKib());
        m.put("open_at_rss_sample", r.openAtSample());
        m.put("rss_per_stream_kib", r.rssPerStreamKib());
        m.put("rss_per_stream_measurable", memoryMeasured(r));
        m.put("rss_peak_sampled_kib", r.peakRssKib());
        m.put("vm_hwm_kib", r.hwmKib());
        m.put("threads_idle", r.threadsIdle());
        m.put("threads_peak", r.threadsPeak());
        return m;
    }

    private static Map<String, Object> stats(Stats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("p50", s.p50());
        m.put("p99", s.p99());
        m.put("p99.9", s.p999());
        m.put("max", s.max());
        return m;
    }

    private List<Scenario> withFirstByte() {
        List<Scenario> all = new ArrayList<>(List.of(Scenario.FIRST_BYTE));
        all.addAll(scenarios);
        return all;
    }

    private List<Target> sluices() {
        return targets.stream().filter(t -> t.name().startsWith("sluice")).toList();
    }

    /**
     * Sluice's number over nginx's, each at least the row's floor; "-" where either is not
     * measured, and "≥" where only nginx's was under the floor, so the true ratio is higher.
     */
    private String ratio(Row row, Result sluice, Result nginx) {
        double base = row.ratio().applyAsDouble(nginx);
        double value = row.ratio().applyAsDouble(sluice);
        if (Double.isNaN(base) || Double.isNaN(value)) {
            return "-";
        }
        boolean floored = base < row.floor() && value > row.floor();
        base = Math.max(base, row.floor());
        value = Math.max(value, row.floor());
        return base > 0 ? (floored ? "≥ " : "") + fixed(value / base, 2) : "-";
    }

    private static String setup(Target target) {
        if (target.name().equals("nginx") && target.available()) {
            return target.setup() + ", worker_processes auto (" + (target.processes() - 1)
                    + " workers), proxy_buffering off, HTTP/1.1 keep-alive upstream";
        }
        return target.setup();
    }

    private static boolean sluice(Result result) {
        return result.target().startsWith("sluice");
    }

    private static boolean direct(Result result) {
        return result.target().equals("direct");
    }

    /** The 1, 5 and 15 minute load averages: other work on the machine shows here. */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String kernel() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        } catch (IOException e) {
            return System.getProperty("os.version");
        }
    }

    static String ms(double value) {
        return Double.isNaN(value) ? "-" : Math.abs(value) >= 100 ? fixed(value, 0)
                : Math.abs(value) >= 10 ? fixed(value, 1) : fixed(value, 3);
    }

    private static String number(double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%,.0f", value);
    }

    private static String fixed(double value, int decimals) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "-"
                : String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    private static String mib(long kib) {
        return fixed(kib / 1024.0, 1);
    }
}
