package dev.sluice.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;

/**
 * The same scenarios run several times, every target once per round ({@code make bench
 * ROUNDS=N}). One run's own cost (Sluice less the pump) moves by more than the few microseconds
 * it is judged against, so the report's tables and goals show each scenario's median round, and
 * this lists every round beside the medians. Sluice and the pump are compared within a round
 * only, as the machine's pace drifts between rounds.
 */
final class Rounds {

    /** A figure of a result, given the results of its round. */
    private interface Figure {
        double of(Report.Lookup round, Result result);
    }

    /** A column of the rounds table: a figure of one Sluice variant's result in a round. */
    private record Column(String label, Figure figure, int decimals) {}

    /** A peer's figure, shown beside Sluice's in every round. */
    private record Peer(String target, Column column) {

        String label() {
            return target + " " + column.label();
        }
    }

    private static final Column CPU = new Column("CPU us per event",
            (round, r) -> cpuPerEvent(r), 2);
    private static final Column ADDED_P99 = new Column("added p99", added(
            r -> r.run().latency(), Report.Lookup::added, Stats::p99, Report.P99), 3);
    /** The floor's CPU and tail, and the JVM peer's tail, which Sluice's should beat. */
    private static final Figure COLD_FIRST_BYTE = added(r -> r.run().firstByte(),
            Report.Lookup::addedFirstByte, Stats::p50, Report.P50);
    private static final List<Peer> PEERS = List.of(new Peer(Report.PUMP, CPU),
            new Peer(Report.PUMP, ADDED_P99), new Peer("jetty-proxy", ADDED_P99));

    private final List<List<Result>> rounds;
    private final List<Scenario> scenarios;

    /** @param rounds each round's results, every scenario against every target */
    Rounds(List<List<Result>> rounds) {
        if (rounds.isEmpty()) {
            throw new IllegalArgumentException("no rounds");
        }
        this.rounds = List.copyOf(rounds);
        this.scenarios = rounds.getFirst().stream().map(Result::scenario).distinct().toList();
    }

    int count() {
        return rounds.size();
    }

    /**
     * Each scenario's results from its median round, in scenario order, with their memory figures
     * from round 1: after it every JVM's heap has already grown, and the memory a later round adds
     * per stream is next to nothing (0.3 KiB for the pump in one held-8k run).
     */
    List<Result> median() {
        List<Result> chosen = new ArrayList<>();
        for (Scenario scenario : scenarios) {
            List<Result> first = of(rounds.getFirst(), scenario);
            for (Result result : of(rounds.get(medianRound(scenario)), scenario)) {
                chosen.add(first.stream().filter(r -> r.target().equals(result.target()))
                        .findFirst().map(result::withMemoryOf).orElse(result));
            }
        }
        return chosen;
    }

    /**
     * The round whose first Sluice variant has the median own cost: per new stream for a
     * scenario that measures streams opening (held-8k), else per event. Unmeasured costs sort
     * last; with an even count the lower middle is taken.
     */
    int medianRound(Scenario scenario) {
        Figure own = ownCost(scenario);
        List<Integer> order = IntStream.range(0, rounds.size()).boxed()
                .sorted(Comparator.comparingDouble(i -> {
                    Result sluice = firstSluice(rounds.get(i), scenario);
                    return sluice == null ? Double.NaN
                            : own.of(new Report.Lookup(rounds.get(i)), sluice);
                })).toList();
        return order.get((order.size() - 1) / 2);
    }

    /** The rounds section of {@code report.md}; empty for a single round. */
    String markdown(List<Target> allSluices) {
        if (rounds.size() < 2) {
            return "";
        }
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT, """

                ## Rounds

                Every scenario ran %d times, every target that runs it once per round, every
                other round in reverse order. The tables above and the
                goals show each scenario's median round (marked *): the round whose %s%s has the
                median own cost, per new stream for held-8k and per event elsewhere (in
                cold-burst, which has no pump, the median added first byte p50), except
                memory (RSS), which is round 1's: after it every JVM's heap has already grown. The
                median row takes each column's median on its own. Latencies are added over
                direct's in the same round, in ms.
                """, rounds.size(), allSluices.isEmpty() ? "Sluice"
                        : allSluices.getFirst().name(), scenarios.stream()
                        .anyMatch(Scenario::pooled) ? " (in a pooled scenario, the first Sluice "
                        + "with a key pool)" : ""));
        for (Scenario scenario : scenarios) {
            List<Column> columns = columns(scenario);
            List<Target> sluices = ran(scenario, allSluices);
            md.append("\n### ").append(scenario.name()).append("\n\n| round |");
            PEERS.forEach(peer -> md.append(' ').append(peer.label()).append(" |"));
            for (Target sluice : sluices) {
                columns.forEach(c -> md.append(' ').append(sluice.name()).append(' ')
                        .append(c.label()).append(" |"));
            }
            md.append("\n| --- |").append(" ---: |".repeat(PEERS.size() + columns.size()
                    * sluices.size())).append('\n');
            int chosen = medianRound(scenario);
            List<Column> all = new ArrayList<>(PEERS.stream().map(Peer::column).toList());
            sluices.forEach(sluice -> all.addAll(columns));
            List<List<Double>> table = new ArrayList<>();
            for (int i = 0; i < rounds.size(); i++) {
                List<Double> row = row(rounds.get(i), scenario, sluices, columns);
                table.add(row);
                md.append("| ").append(i + 1).append(i == chosen ? " *" : "").append(" |");
                for (int c = 0; c < row.size(); c++) {
                    md.append(' ').append(cell(row.get(c), all.get(c).decimals())).append(" |");
                }
                md.append('\n');
            }
            md.append("| median |");
            for (int c = 0; c < all.size(); c++) {
                int col = c;
                md.append(' ').append(cell(median(table.stream().map(r -> r.get(col)).toList()),
                        all.get(c).decimals())).append(" |");
            }
            md.append('\n');
        }
        return md.toString();
    }

    /** One line per scenario and Sluice variant for the terminal: own cost in every round. */
    String summary(List<Target> sluices) {
        if (rounds.size() < 2) {
            return "";
        }
        StringBuilder out = new StringBuilder("Own cost (Sluice - pump; cold-burst: added first "
                + "byte) per round, median round *:\n");
        for (Scenario scenario : scenarios) {
            Figure own = ownCost(scenario);
            int chosen = medianRound(scenario);
            for (Target sluice : ran(scenario, sluices)) {
                out.append(String.format(Locale.ROOT, "  %-11s %-11s %s:", scenario.name(),
                        sluice.name(), unit(scenario)));
                for (int i = 0; i < rounds.size(); i++) {
                    Result result = find(rounds.get(i), scenario, sluice.name());
                    out.append(' ').append(result == null ? "-" : cell(own.of(
                            new Report.Lookup(rounds.get(i)), result), 2))
                            .append(i == chosen ? "*" : "");
                }
                out.append('\n');
            }
        }
        return out.toString();
    }

    /** Every round's figures for {@code report.json}, as in the rounds tables. */
    List<Object> json(List<Target> sluices) {
        List<Object> list = new ArrayList<>();
        for (Scenario scenario : scenarios) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("scenario", scenario.name());
            entry.put("median_round", medianRound(scenario) + 1);
            List<Object> byRound = new ArrayList<>();
            for (List<Result> round : rounds) {
                Map<String, Object> figures = new LinkedHashMap<>();
                for (Peer peer : PEERS) {
                    figures.put(peer.label(), value(round, scenario, peer.target(),
                            peer.column()));
                }
                for (Target sluice : ran(scenario, sluices)) {
                    Map<String, Object> values = new LinkedHashMap<>();
                    for (Column column : columns(scenario)) {
                        values.put(column.label(), value(round, scenario, sluice.name(), column));
                    }
                    figures.put(sluice.name(), values);
                }
                byRound.add(figures);
            }
            entry.put("rounds", byRound);
            list.add(entry);
        }
        return list;
    }

    private List<Double> row(List<Result> round, Scenario scenario, List<Target> sluices,
            List<Column> columns) {
        List<Double> row = new ArrayList<>();
        for (Peer peer : PEERS) {
            row.add(value(round, scenario, peer.target(), peer.column()));
        }
        for (Target sluice : sluices) {
            for (Column column : columns) {
                row.add(value(round, scenario, sluice.name(), column));
            }
        }
        return row;
    }

    /** A target's figure in a round, NaN where the target did not run it. */
    private static double value(List<Result> round, Scenario scenario, String target,
            Column column) {
        Report.Lookup lookup = new Report.Lookup(round);
        Result result = lookup.find(scenario.name(), target);
        return result == null ? Double.NaN : column.figure().of(lookup, result);
    }

    private List<Column> columns(Scenario scenario) {
        List<Column> columns = new ArrayList<>(List.of(CPU,
                new Column("own us per event", Report.Lookup::ownCpuPerEvent, 2)));
        if (stream(scenario)) {
            columns.add(new Column("own us per new stream", Report.Lookup::ownCpuPerNewStream,
                    0));
        }
        columns.add(new Column("added first byte p50", added(r -> r.run().firstByte(),
                Report.Lookup::addedFirstByte, Stats::p50, Report.P50), 3));
        columns.add(new Column("added p50", added(r -> r.run().latency(),
                Report.Lookup::added, Stats::p50, Report.P50), 3));
        columns.add(ADDED_P99);
        columns.add(new Column("longest pause", (round, r) -> longestPause(r), 1));
        return columns;
    }

    /**
     * A latency added over direct's in the same round, NaN without direct or where either has
     * too few events for the percentile (curve position {@code x}).
     */
    private static Figure added(Function<Result, Stats> of,
            BiFunction<Report.Lookup, Result, Stats> added, ToDoubleFunction<Stats> percentile,
            double x) {
        return (round, r) -> {
            Result direct = round.find(r.scenario().name(), "direct");
            return direct == null || !Report.resolved(of.apply(r), x)
                    || !Report.resolved(of.apply(direct), x) ? Double.NaN
                    : percentile.applyAsDouble(added.apply(round, r));
        };
    }

    /**
     * The figure that picks a scenario's median round: the own cost, or for the cold burst,
     * which has no pump, the added first byte p50 it is judged by first.
     */
    private static Figure ownCost(Scenario scenario) {
        return scenario.cold() ? COLD_FIRST_BYTE : stream(scenario)
                ? Report.Lookup::ownCpuPerNewStream : Report.Lookup::ownCpuPerEvent;
    }

    private static String unit(Scenario scenario) {
        return scenario.cold() ? "added first byte p50 (ms)" : stream(scenario)
                ? "us per new stream" : "us per event";
    }

    /** True for a scenario whose streams open over a long ramp and stay open: held-8k. */
    private static boolean stream(Scenario scenario) {
        return scenario.name().startsWith("held");
    }

    private static double cpuPerEvent(Result result) {
        return Report.measured(result.cpuSeconds()) ? result.cpuMicrosPerEvent() : Double.NaN;
    }

    private static double longestPause(Result result) {
        if (result.pauses() == null) {
            return Double.NaN;
        }
        Pauses.Pause longest = Pauses.longest(result.pauses());
        return longest == null ? 0 : longest.millis();
    }

    /** The Sluice variants that run {@code scenario}: a pooled Sluice runs pooled ones only. */
    private static List<Target> ran(Scenario scenario, List<Target> sluices) {
        return sluices.stream().filter(t -> scenario.runsOn(t.name())).toList();
    }

    private static Result firstSluice(List<Result> round, Scenario scenario) {
        return of(round, scenario).stream().filter(r -> r.target().startsWith("sluice"))
                .findFirst().orElse(null);
    }

    private static Result find(List<Result> round, Scenario scenario, String target) {
        return new Report.Lookup(round).find(scenario.name(), target);
    }

    private static List<Result> of(List<Result> round, Scenario scenario) {
        return round.stream().filter(r -> r.scenario().equals(scenario)).toList();
    }

    /** The median of the measured values, NaN when none is. */
    static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue)
                .filter(v -> !Double.isNaN(v)).sorted().toArray();
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle]
                : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static String cell(double value, int decimals) {
        return Double.isNaN(value) ? "-"
                : String.format(Locale.ROOT, "%." + decimals + "f", value);
    }
}
