package dev.sluice.bench;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One load shape: how many streams, how many events each, the upstream's pause between events,
 * how long the opening of the streams is spread over, and how many may be open at once.
 *
 * @param resumable the requests ask for resumable streams ({@code X-Sluice-Resumable: true}),
 *     which only Sluice reads: every other target relays them as plain streams
 * @param pooled run against Sluice started with {@link BenchKeys}'s keys, one of which the
 *     upstream rate-limits, and against direct and the pump as baselines (they send no key of
 *     the pool, so the upstream streams them normally); the other targets have no key pool
 * @param silenceMs how long the upstream is silent in the middle of each stream, after half
 *     its events (0: never)
 */
record Scenario(String name, int streams, int events, int gapMs, int rampMs, int concurrency,
        boolean resumable, boolean pooled, int silenceMs) {

    /** A plain scenario. */
    Scenario(String name, int streams, int events, int gapMs, int rampMs, int concurrency) {
        this(name, streams, events, gapMs, rampMs, concurrency, false, false);
    }

    /**
     * paced-1000's burst against a Sluice started for it, which the load client has not warmed
     * up, as soon as its {@code /readyz} answers 200: what a new instance of a rolling deploy,
     * of an autoscaler or after a crash gives its first clients. Only Sluice and direct run it.
     */
    static final String COLD = "cold-burst";

    /** A scenario whose upstream is never silent longer than its gap. */
    Scenario(String name, int streams, int events, int gapMs, int rampMs, int concurrency,
            boolean resumable, boolean pooled) {
        this(name, streams, events, gapMs, rampMs, concurrency, resumable, pooled, 0);
    }

    /** The presets run by {@code all}, in order. */
    static final List<Scenario> ALL = List.of(
            new Scenario("paced-100", 100, 200, 20, 200, 100),
            new Scenario("paced-1000", 1_000, 100, 50, 1_000, 1_000),
            new Scenario(COLD, 1_000, 100, 50, 1_000, 1_000),
            new Scenario("paced-1000-resumable", 1_000, 100, 50, 1_000, 1_000, true, false),
            new Scenario("paced-1000-keys", 1_000, 100, 50, 1_000, 1_000, false, true),
            new Scenario("held-8k", 8_000, 60, 1_000, 4_000, 8_000),
            new Scenario("firehose", 50, 20_000, 0, 0, 50));
    static final Scenario SMOKE = new Scenario("smoke", 10, 20, 10, 0, 10);
    static final Scenario SMOKE_RESUMABLE = new Scenario("smoke-resumable", 10, 20, 10, 0, 10,
            true, false);
    /** Not part of {@code smoke}, which would then start a Sluice with the pool for it. */
    static final Scenario SMOKE_KEYS = new Scenario("smoke-keys", 10, 20, 10, 0, 10, false, true);
    /**
     * Not part of {@code all}: paced-1000 with the upstream silent for 5 s in the middle of every
     * stream, the cost of what is written into silences (heartbeats, probes).
     */
    static final Scenario SILENT = new Scenario("paced-1000-silent", 1_000, 100, 50, 1_000,
            1_000, false, false, 5_000);
    /** Not reported: bring every process's JIT to speed, per event, per request and paced. */
    static final List<Scenario> WARM_UP = warmUp();
    /** Time to first byte with one stream at a time. */
    static final Scenario FIRST_BYTE = new Scenario("first-byte-c1", 100, 1, 0, 0, 1);

    /**
     * The scenarios of {@code names}, comma-separated, each {@code all}, {@code smoke} or a
     * scenario's name, in order and each once: {@code paced-1000,paced-1000-keys} shows a pooled
     * Sluice beside the single-key one.
     */
    static List<Scenario> select(String names) {
        if (names == null || names.isBlank()) {
            return ALL;
        }
        Set<Scenario> chosen = new LinkedHashSet<>();
        for (String name : names.split(",")) {
            chosen.addAll(named(name.trim()));
        }
        return List.copyOf(chosen);
    }

    private static List<Scenario> named(String name) {
        if (name.equals("all")) {
            return ALL;
        }
        if (name.equals(SMOKE.name())) {
            return List.of(SMOKE, SMOKE_RESUMABLE);
        }
        for (Scenario scenario : ALL) {
            if (scenario.name().equals(name)) {
                return List.of(scenario);
            }
        }
        for (Scenario scenario : List.of(SMOKE_KEYS, SILENT)) {
            if (scenario.name().equals(name)) {
                return List.of(scenario);
            }
        }
        throw new IllegalArgumentException("unknown scenario '" + name + "'; choose one or more, "
                + "comma-separated, of: all, smoke, " + SMOKE_KEYS.name() + ", " + SILENT.name()
                + ", "
                + String.join(", ", ALL.stream().map(Scenario::name).toList()));
    }

    /** True when this scenario runs against {@code target}: a pooled Sluice runs pooled ones. */
    boolean runsOn(String target) {
        if (cold()) {
            return target.equals("direct")
                    || target.startsWith("sluice") && !BenchKeys.pooled(target);
        }
        return pooled ? target.equals("direct") || target.equals(Report.PUMP)
                || BenchKeys.pooled(target) : !BenchKeys.pooled(target);
    }

    private static List<Scenario> warmUp() {
        Scenario requests = new Scenario("warm-up-requests", 3_000, 5, 0, 0, 20);
        Scenario paced = new Scenario("warm-up-paced", 1_000, 40, 25, 1_000, 1_000);
        return List.of(new Scenario("warm-up-events", 50, 2_000, 0, 0, 50), requests, paced,
                requests, paced);
    }

    /** True for {@link #COLD}: each Sluice runs it as a process started for it. */
    boolean cold() {
        return name.equals(COLD);
    }

    /** Longest pause between two events of a stream before it counts as stalled. */
    long stallLimitMicros() {
        // A firehose has no pacing to multiply; a second without an event is a stall there.
        return (gapMs > 0 ? 10_000L * gapMs : 1_000_000L) + silenceMs * 1_000L;
    }

    /** The run is abandoned after this, whatever is still open. */
    long deadlineMillis() {
        return rampMs + (long) events * gapMs + silenceMs + (gapMs > 0 ? 30_000 : 120_000);
    }

    long totalEvents() {
        return (long) streams * events;
    }
}
