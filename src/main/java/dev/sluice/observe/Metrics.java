package dev.sluice.observe;

import dev.sluice.dialect.Dialect;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.function.IntSupplier;

/**
 * Sluice's counters, in a Prometheus registry: streams in flight and by outcome, upstream
 * statuses, time to first byte and duration, events and bytes, disconnects, retries, refusals
 * and the JVM basics. Stream figures come from each stream's transcript at its end, so nothing
 * is counted per event. Thread-safe.
 */
public final class Metrics implements TranscriptListener {

    private final PrometheusMeterRegistry registry =
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    /** Binds the JVM's meters: they start JMX, a third of start-up, so it runs beside it. */
    private final Thread jvmMeters;

    public Metrics(IntSupplier openStreams) {
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

    @Override
    public void ended(Transcript t) {
        String route = t.route().name();
        String outcome = t.outcome().name().toLowerCase(Locale.ROOT);
        Counter.builder("sluice.streams").description("streams relayed, by how they ended")
                .tag("route", route).tag("outcome", outcome).register(registry).increment();
        if (t.ttfbMillis() >= 0) {
            Timer.builder("sluice.time.to.first.event").description("request to first event")
                    .tag("route", route).publishPercentileHistogram()
                    .register(registry).record(Duration.ofMillis(t.ttfbMillis()));
        }
        Timer.builder("sluice.stream.duration").description("whole streams")
                .tag("route", route).publishPercentileHistogram()
                .register(registry).record(Duration.ofMillis(t.durationMillis()));
        Counter.builder("sluice.events").description("events relayed").tag("route", route)
                .register(registry).increment(t.events());
        Counter.builder("sluice.event.data").baseUnit("bytes").description("event bytes relayed")
                .tag("route", route).register(registry).increment(t.bytes());
        if (t.outcome() == Transcript.Outcome.CLIENT_CLOSED) {
            Counter.builder("sluice.client.disconnects").description("clients that left early")
                    .tag("route", route).register(registry).increment();
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
        return DistributionSummary.builder("sluice.tokens").description("tokens per stream")
                .tag("route", route).tag("kind", kind).register(registry);
    }

    public void upstreamAnswered(String route, int status) {
        Counter.builder("sluice.upstream.responses").description("upstream answers by status")
                .tag("route", route).tag("status", Integer.toString(status)).register(registry)
                .increment();
    }

    public void retried(String route) {
        Counter.builder("sluice.upstream.retries").description("upstream calls tried again")
                .tag("route", route).register(registry).increment();
    }

    public void refused(String route, int status, String reason) {
        Counter.builder("sluice.refused").description("requests refused before any stream")
                .tag("route", route).tag("status", Integer.toString(status)).tag("reason", reason)
                .register(registry).increment();
    }

    /**
     * Something that happened to a resumable stream: {@code resumed}, {@code takeover},
     * {@code stopped}, {@code grace_expired}, {@code evicted}, {@code trimmed}, {@code expired}
     * (a finished stream's retention passed), {@code gone} (a resume answered 410).
     */
    public void resume(String kind) {
        Counter.builder("sluice.resume").description("resumable streams: resumes, takeovers, "
                + "stops, grace expiries, log evictions and trims, resumes too late")
                .tag("kind", kind).register(registry).increment();
    }

    /** The Prometheus text exposition of everything above. */
    public String scrape() {
        try {
            jvmMeters.join(); // a scrape right after start still gets the JVM's meters
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return registry.scrape();
    }
}
