package dev.sluice.observe;

import dev.sluice.config.Otlp;
import dev.sluice.dialect.Dialect;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.registry.otlp.OtlpConfig;
import io.micrometer.registry.otlp.OtlpMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * Sluice's counters, in a Prometheus registry: streams in flight and by outcome, upstream
 * statuses, time to first byte and duration, events and bytes, disconnects, retries, refusals
 * and the JVM basics. Stream figures come from each stream's transcript at its end, so nothing
 * is counted per event. Thread-safe.
 */
public final class Metrics implements TranscriptListener {

    private final PrometheusMeterRegistry prometheus =
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** Every meter goes to Prometheus, and with SLUICE_OTLP_URL over OTLP too. */
    private final CompositeMeterRegistry registry = new CompositeMeterRegistry();
    /** Null without SLUICE_OTLP_URL. */
    private final OtlpMeterRegistry otlp;
    private final GenAiMeters genAi = new GenAiMeters(registry);

    private final Map<String, Meter> meters = new ConcurrentHashMap<>();

    /** Binds the JVM's meters: they start JMX, a third of start-up, so it runs beside it. */
    private final Thread jvmMeters;

    public Metrics(IntSupplier openStreams) {
        this(openStreams, null);
    }

    /** @param export where the meters are pushed over OTLP as well, or null */
    public Metrics(IntSupplier openStreams, Otlp export) {
        registry.add(prometheus);
        otlp = export == null ? null : new OtlpMeterRegistry(otlpConfig(export), Clock.SYSTEM);
        if (otlp != null) {
            registry.add(otlp);
        }
        Gauge.builder("sluice.streams.in.flight", openStreams::getAsInt)
                .description("streams being relayed now").register(registry);
        jvmMeters = Thread.ofVirtual().name("sluice-metrics-start").start(() -> {
            new JvmMemoryMetrics().bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new JvmGcMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
        });
    }

    private static OtlpConfig otlpConfig(Otlp export) {
        Map<String, String> settings = Map.of("otlp.url", export.url().toString(),
                "otlp.step", export.step().toMillis() + "ms",
                "otlp.baseTimeUnit", "seconds",
                "otlp.resourceAttributes", "service.name=sluice");
        return settings::get;
    }

    @Override
    public void ended(Transcript t) {
        genAi.ended(t);
        String route = t.route().name();
        String outcome = t.outcome().name().toLowerCase(Locale.ROOT);
        meter("streams " + route + " " + outcome, () -> Counter.builder("sluice.streams")
                .description("streams relayed, by how they ended")
                .tag("route", route).tag("outcome", outcome).register(registry)).increment();
        if (t.ttfbMillis() >= 0) {
            meter("ttfb " + route, () -> Timer.builder("sluice.time.to.first.event")
                    .description("request to first event").tag("route", route)
                    .publishPercentileHistogram().register(registry))
                    .record(t.ttfbMillis(), TimeUnit.MILLISECONDS);
        }
        meter("duration " + route, () -> Timer.builder("sluice.stream.duration")
                .description("whole streams").tag("route", route).publishPercentileHistogram()
                .register(registry)).record(t.durationMillis(), TimeUnit.MILLISECONDS);
        meter("events " + route, () -> Counter.builder("sluice.events")
                .description("events relayed").tag("route", route).register(registry))
                .increment(t.events());
        meter("bytes " + route, () -> Counter.builder("sluice.event.data").baseUnit("bytes")
                .description("event bytes relayed").tag("route", route).register(registry))
                .increment(t.bytes());
        if (t.outcome() == Transcript.Outcome.CLIENT_CLOSED) {
            meter("disconnects " + route, () -> Counter.builder("sluice.client.disconnects")
                    .description("clients that left early").tag("route", route)
                    .register(registry)).increment();
        }
        Dialect.Usage usage = t.usage();
        if (usage.input() != null) {
            tokens(route, "input").record(usage.input());
        }
        if (usage.output() != null) {
            tokens(route, "output").record(usage.output());
        }
    }

    private DistributionSummary tokens(String route, String kind) {
        return meter("tokens " + route + " " + kind, () -> DistributionSummary
                .builder("sluice.tokens").description("tokens per stream")
                .tag("route", route).tag("kind", kind).register(registry));
    }

    public void upstreamAnswered(String route, int status) {
        meter("responses " + route + " " + status, () -> Counter
                .builder("sluice.upstream.responses").description("upstream answers by status")
                .tag("route", route).tag("status", Integer.toString(status)).register(registry))
                .increment();
    }

    public void retried(String route) {
        meter("retries " + route, () -> Counter.builder("sluice.upstream.retries")
                .description("upstream calls tried again").tag("route", route)
                .register(registry)).increment();
    }

    /** A key of a route's pool, by its fingerprint: whether it rests now, whether it is out. */
    public void poolKey(String route, String key, BooleanSupplier resting,
            BooleanSupplier out) {
        Gauge.builder("sluice.upstream.key.resting", () -> resting.getAsBoolean() ? 1 : 0)
                .description("1 while the key rests after a 429 or a spent limit")
                .tag("route", route).tag("key", key).register(registry);
        Gauge.builder("sluice.upstream.key.out", () -> out.getAsBoolean() ? 1 : 0)
                .description("1 once the upstream refused the key (401, 403), until restart")
                .tag("route", route).tag("key", key).register(registry);
    }

    public void keyRequest(String route, String key) {
        meter("key requests " + route + " " + key, () -> Counter
                .builder("sluice.upstream.key.requests").description("upstream calls by key")
                .tag("route", route).tag("key", key).register(registry)).increment();
    }

    public void keyThrottled(String route, String key) {
        meter("key throttled " + route + " " + key, () -> Counter
                .builder("sluice.upstream.key.throttled").description("429s by key")
                .tag("route", route).tag("key", key).register(registry)).increment();
    }

    /** {@code millis} more of rest for a key: the counter is its whole time resting. */
    public void keyRested(String route, String key, long millis) {
        meter("key rested " + route + " " + key, () -> Counter
                .builder("sluice.upstream.key.rested").baseUnit("seconds")
                .description("time keys were set to rest").tag("route", route).tag("key", key)
                .register(registry)).increment(millis / 1000.0);
    }

    /** Whether a route's upstream is skipped now after failing. */
    public void upstreamSkipped(String route, BooleanSupplier skipped) {
        Gauge.builder("sluice.upstream.skipped", () -> skipped.getAsBoolean() ? 1 : 0)
                .description("1 while the route's upstream is skipped after failing")
                .tag("route", route).register(registry);
    }

    /** How many requests wait in a route's queue for a key. */
    public void queue(String route, IntSupplier length) {
        Gauge.builder("sluice.queue.length", length::getAsInt)
                .description("requests waiting in the route's queue for a key")
                .tag("route", route).register(registry);
    }

    /** A request that waited in a route's queue, served or not. */
    public void queueWaited(String route, long millis) {
        meter("queue wait " + route, () -> Timer.builder("sluice.queue.wait")
                .description("time requests waited in the route's queue").tag("route", route)
                .publishPercentileHistogram().register(registry))
                .record(millis, TimeUnit.MILLISECONDS);
    }

    /** A request of {@code route} that went on to the next route of its chain, and why. */
    public void fallback(String route, String to, String reason) {
        meter("fallback " + route + " " + to + " " + reason, () -> Counter
                .builder("sluice.upstream.fallbacks").description("requests passed down a chain")
                .tag("route", route).tag("to", to).tag("reason", reason).register(registry))
                .increment();
    }

    public void refused(String route, int status, String reason) {
        meter("refused " + route + " " + status + " " + reason, () -> Counter
                .builder("sluice.refused").description("requests refused before any stream")
                .tag("route", route).tag("status", Integer.toString(status)).tag("reason", reason)
                .register(registry)).increment();
    }

    /**
     * The meter registered under {@code key} (its name and tag values, which route names and
     * reasons cannot make ambiguous: they hold no space), built once: a builder's registration
     * sorts its tags and looks them up on every call.
     */
    @SuppressWarnings("unchecked")
    private <M extends Meter> M meter(String key, Supplier<M> register) {
        Meter meter = meters.get(key);
        return (M) (meter != null ? meter : meters.computeIfAbsent(key, k -> register.get()));
    }

    /** A call to Redis, by what it was (a script's name, ping) and whether it worked. */
    public void redisCall(String what, long nanos, boolean worked) {
        String outcome = worked ? "ok" : "failed";
        meter("redis " + what + " " + outcome, () -> Timer.builder("sluice.redis.calls")
                .description("calls to Redis, by outcome").tag("call", what)
                .tag("outcome", outcome).publishPercentileHistogram().register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
        if (!worked) {
            meter("redis-errors " + what, () -> Counter.builder("sluice.redis.errors")
                    .description("calls to Redis that failed or timed out").tag("call", what)
                    .register(registry)).increment();
        }
    }

    /** A call not sent to Redis, which did not answer the last ones in their time. */
    public void redisSkipped(String what) {
        meter("redis-skipped " + what, () -> Counter.builder("sluice.redis.skipped")
                .description("calls not sent to Redis while it does not answer").tag("call", what)
                .register(registry)).increment();
    }

    /** A request admitted or refused by the limits shared through Redis. */
    public void sharedAdmission(String outcome) {
        meter("shared " + outcome, () -> Counter.builder("sluice.shared.admissions")
                .description("requests counted against limits shared through Redis")
                .tag("outcome", outcome).register(registry)).increment();
    }

    /**
     * A request that Redis could not count: {@code what} is limits or budget, {@code action}
     * local (counted by this instance alone) or refused (503).
     */
    public void sharedFallback(String what, String action) {
        Counter.builder("sluice.shared.fallbacks").description("requests counted without "
                + "Redis while it did not answer").tag("quota", what).tag("action", action)
                .register(registry).increment();
    }

    /** Tokens spent that Redis did not take, kept to be added when it answers again. */
    public void sharedSpendDeferred() {
        Counter.builder("sluice.shared.spend.deferred").description("budget spends that Redis "
                + "did not take at once").register(registry).increment();
    }

    /** A renewal of open-stream leases that Redis did not take; the streams go on. */
    public void leaseRenewalFailed() {
        Counter.builder("sluice.shared.lease.renewal.failures").description("lease renewals "
                + "that failed; the streams went on").register(registry).increment();
    }

    /**
     * Something that happened to a resumable stream: {@code resumed}, {@code takeover},
     * {@code stopped}, {@code grace_expired}, {@code evicted}, {@code trimmed}, {@code expired}
     * (a finished stream's retention passed), {@code gone} (a resume answered 410); shared
     * through Redis also {@code append_failed} (an event not logged), {@code lost} (a stream
     * whose relaying instance died) and {@code unavailable} (a resume or stop answered 503).
     */
    public void resume(String kind) {
        meter("resume " + kind, () -> Counter.builder("sluice.resume")
                .description("resumable streams: resumes, takeovers, stops, grace expiries, log "
                        + "evictions and trims, resumes too late")
                .tag("kind", kind).register(registry)).increment();
    }

    /** The Prometheus text exposition of everything above. */
    public String scrape() {
        try {
            jvmMeters.join(); // a scrape right after start still gets the JVM's meters
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return prometheus.scrape();
    }

    /** Pushes what the OTLP receiver has not had yet, and stops pushing. */
    public void close() {
        if (otlp != null) {
            otlp.close();
        }
    }
}
