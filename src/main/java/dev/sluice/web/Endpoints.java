package dev.sluice.web;

import dev.sluice.access.Admission;
import dev.sluice.access.CallerAddress;
import dev.sluice.access.Cors;
import dev.sluice.access.LocalHosts;
import dev.sluice.access.LoopbackOnly;
import dev.sluice.access.LocalQuotas;
import dev.sluice.access.Quotas;
import dev.sluice.access.SharedQuotas;
import dev.sluice.chain.KeyPool;
import dev.sluice.chain.Link;
import dev.sluice.chain.Opener;
import dev.sluice.chain.Retry;
import dev.sluice.chain.SharedKeys;
import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.config.Route;
import dev.sluice.config.Secret;
import dev.sluice.observe.Metrics;
import dev.sluice.observe.Redaction;
import dev.sluice.observe.TranscriptListener;
import dev.sluice.observe.Transcripts;
import dev.sluice.redis.RedisLink;
import dev.sluice.relay.RelayServlet;
import dev.sluice.relay.StreamRelay;
import dev.sluice.relay.StreamsEndpoint;
import dev.sluice.dialect.Dialects;
import dev.sluice.resume.Resumables;
import dev.sluice.resume.SharedStreams;
import dev.sluice.resume.StreamTickets;
import dev.sluice.relay.Watchdog;
import dev.sluice.simulated.SimulatedUpstreamServlet;
import dev.sluice.upstream.Upstream;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServlet;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The servlets Sluice serves and their paths, mounted alike by the embedded server and by the
 * WAR's bootstrap, and what they share: the HTTP client, the watchdog and its graceful shutdown,
 * the metrics.
 */
public final class Endpoints implements AutoCloseable {

    /** A servlet and the path it answers. */
    public record Endpoint(String path, HttpServlet servlet) {}

    /** A filter and the paths it sees, applied in list order before the servlets. */
    public record Filtering(String path, HttpFilter filter) {}

    public static final String SIMULATED_PATH = "/simulated/v1/*";
    private static final Logger LOG = LoggerFactory.getLogger(Endpoints.class);

    private final List<Endpoint> all;
    private final List<Filtering> filters;
    private final Watchdog watchdog;
    private final Upstream upstream;
    private final Config config;
    private final AtomicBoolean stopping;
    private final AtomicBoolean warming;
    private final Quotas quotas;
    private final RedisLink redis;
    private final Resumables resumables;
    private final Reloader reloader;
    private final Metrics metrics;

    private Endpoints(List<Endpoint> all, List<Filtering> filters, Watchdog watchdog,
            Upstream upstream, Config config, AtomicBoolean stopping, AtomicBoolean warming,
            Quotas quotas, RedisLink redis, Resumables resumables, Reloader reloader,
            Metrics metrics) {
        this.all = all;
        this.filters = filters;
        this.watchdog = watchdog;
        this.upstream = upstream;
        this.config = config;
        this.stopping = stopping;
        this.warming = warming;
        this.quotas = quotas;
        this.redis = redis;
        this.resumables = resumables;
        this.reloader = reloader;
        this.metrics = metrics;
    }

    /** In a servlet container, whose own limits hold on how slowly a body may come. */
    public static Endpoints of(Config config) {
        return of(config, null, 0);
    }

    /**
     * In the embedded server, which leaves the body's pace to Sluice: a request body must come
     * at {@code config.connections().minRequestRate()} ({@link Watchdog}).
     */
    public static Endpoints embedded(Config config) {
        return of(config, null, config.connections().minRequestRate());
    }

    /**
     * With a listener of its own for every stream's transcript, after the log and metrics.
     *
     * @param listener null for none; one gets the whole answer, the log only when configured
     * @param minBodyRate bytes per second a request body must come at; 0 for no minimum
     */
    public static Endpoints of(Config config, TranscriptListener listener, int minBodyRate) {
        Watchdog watchdog = new Watchdog(config.timeouts(), minBodyRate);
        Metrics metrics = new Metrics(watchdog::openStreams, config.otlp());
        Transcripts transcripts = new Transcripts(config, metrics, listener);
        List<Secret> keys = new ArrayList<>(config.routes().stream()
                .flatMap(route -> route.keys().stream()).toList());
        if (config.sharing() != null && config.sharing().password() != null) {
            keys.add(config.sharing().password()); // nor may Redis's password leave anywhere
        }
        Redaction redaction = new Redaction(keys);
        // Log lines and the container's own error pages are written by objects that Logback and
        // Jetty create: they learn the keys here, once, before any request.
        Redaction.learnEverywhere(keys);
        Admission admission = new Admission(config.access());
        CallerAddress callers = new CallerAddress(config.access().trustedProxies());
        LocalHosts hosts = new LocalHosts(config.host(), config.allowedHosts(),
                config.corsOrigins());
        // Checks Redis at once: a Sluice that cannot count as configured does not start.
        RedisLink redis = config.sharing() == null ? null
                : RedisLink.open(config.sharing(), metrics);
        Quotas quotas = redis == null ? new LocalQuotas()
                : new SharedQuotas(redis, config.sharing(), metrics);
        Upstream upstream = new Upstream(config.timeouts().connect(), config.proxy());
        Retry retry = new Retry(config.retries());
        StreamRelay relay = new StreamRelay(redaction, config.timeouts(), config.maxLineBytes(),
                new Semaphore(config.maxDrains()));
        Resumables resumables = new Resumables(config.resume(), metrics::resume,
                redis == null ? null : sharedStreams(config, redis, metrics));
        // A stream's URL lasts as long as the stream may run and its log be kept.
        StreamsEndpoint streams = new StreamsEndpoint(resumables,
                new StreamTickets(config.resume().secret(), config.timeouts().stream()
                        .plus(config.resume().retention())), admission, quotas,
                config.maxReaders(), metrics, config.timeouts().heartbeat());
        AtomicBoolean stopping = new AtomicBoolean();
        AtomicBoolean warming = new AtomicBoolean();
        InfoServlet info = new InfoServlet(config, () -> !stopping.get(), () -> !warming.get(),
                redis == null ? null : quotas::trouble);
        List<Endpoint> endpoints = new ArrayList<>();
        // One link per route, its keys and health shared by every chain it is in.
        Map<String, Link> links = new HashMap<>();
        for (Route route : config.routes()) {
            Link link = Link.of(route, new KeyPool(route.name(), route.keys(), metrics),
                    config.retries().trips(), config.retries().coolDown().toMillis());
            links.put(route.name(), link);
            metrics.upstreamSkipped(route.name(), link::skipped);
        }
        if (redis != null) {
            SharedKeys.share(redis, List.copyOf(links.values()));
        }
        for (Route route : config.routes()) {
            if (!route.serving().exposed()) {
                continue; // only a fallback: no client reaches it on its own
            }
            Opener opener = new Opener(config.chain(route).stream()
                    .map(r -> links.get(r.name())).toList(), upstream, retry, config.timeouts(),
                    redaction, metrics);
            endpoints.add(new Endpoint(route.prefix() + "/*",
                    new RelayServlet(route, config, admission, quotas, opener, watchdog,
                            relay, redaction, metrics, transcripts, streams)));
        }
        endpoints.add(new Endpoint(InfoServlet.HEALTH_PATH, info));
        endpoints.add(new Endpoint(InfoServlet.INFO_PATH, info));
        endpoints.add(new Endpoint(InfoServlet.READY_PATH, info));
        if (config.metrics() != Config.MetricsAccess.OFF) {
            endpoints.add(new Endpoint("/metrics", new MetricsServlet(metrics,
                    config.metrics() == Config.MetricsAccess.ANYONE, callers, hosts)));
        }
        if (config.simulated()) {
            endpoints.add(new Endpoint(SIMULATED_PATH,
                    new SimulatedUpstreamServlet(config.simulatedTokenDelay())));
        }
        List<Filtering> filters = new ArrayList<>();
        if (!config.access().configured()) {
            filters.add(new Filtering("/*", new LoopbackOnly(callers,
                    !config.access().trustedProxies().isEmpty(), hosts)));
        }
        filters.add(new Filtering("/*", new PageHeaders()));
        filters.add(new Filtering("/*", new Cors(config.corsOrigins())));
        return new Endpoints(List.copyOf(endpoints), List.copyOf(filters), watchdog, upstream,
                config, stopping, warming, quotas, redis, resumables,
                new Reloader(config, admission, links, redaction), metrics);
    }

    /**
     * Resumable streams' logs in Redis, readable and stoppable from every instance. The key
     * that signs stream URLs must then be the same everywhere: without one, each process draws
     * its own, and a URL works on the instance that made it only. That is said at start-up
     * rather than refused, since a deployment that shares only limits, or resumes only with
     * tokens and Last-Event-ID, needs no key.
     */
    private static SharedStreams sharedStreams(Config config, RedisLink redis,
            Metrics metrics) {
        if (config.resume().secret() == null) {
            LOG.warn("SLUICE_RESUME_SECRET is not set while streams are shared through Redis: "
                    + "the stream URLs of POST .../streams will work only on the instance that "
                    + "made them (401 elsewhere); set the same secret on every instance");
        }
        Map<String, List<byte[]>> lostEnds = new HashMap<>();
        for (Route route : config.routes()) {
            lostEnds.put(route.name(), StreamsEndpoint.lostEnd(Dialects.of(route.dialect())));
        }
        return new SharedStreams(redis, config.resume(), lostEnds::get, metrics::resume);
    }

    public List<Endpoint> all() {
        return all;
    }

    public List<Filtering> filters() {
        return filters;
    }

    /**
     * Takes the access file and the upstream keys of {@code fresh}, settings read again, from
     * the next request on; streams in flight go on.
     *
     * @return what was reloaded, for the log
     * @throws ConfigException when they cannot be taken without a restart; nothing changed
     */
    public String reload(Config fresh) {
        return reloader.reload(fresh);
    }

    /** False once shutdown has begun: what {@code GET /readyz} says. */
    public boolean ready() {
        return !stopping.get();
    }

    /** While true, {@code /readyz} answers 503 "warming up", so a load balancer waits. */
    public void warming(boolean warming) {
        this.warming.set(warming);
    }

    /** This process's resumable streams and their replay logs. */
    public Resumables resumables() {
        return resumables;
    }

    /** Streams (and non-streamed answers) being relayed right now. */
    public int openStreams() {
        return watchdog.openStreams();
    }

    /**
     * Lets streams in flight finish for the configured grace period, then ends the rest with a
     * shutdown error; completes when none is open.
     */
    public CompletableFuture<Void> shutdown() {
        stopping.set(true);
        long start = System.nanoTime();
        Duration grace = config.shutdownGrace();
        int inFlight = watchdog.openStreams();
        LOG.info("Stopping: {} in flight may finish within {}; new requests get 503",
                streams(inFlight), seconds(grace));
        // The last line may come from the watchdog's thread: it keeps the stop's log context
        // (a warm-up copy's quiet mark among it).
        Map<String, String> context = MDC.getCopyOfContextMap();
        return watchdog.shutdown(grace).thenAccept(ended -> {
            Map<String, String> own = MDC.getCopyOfContextMap();
            MDC.setContextMap(context == null ? Map.of() : context);
            try {
                logStopped(start, grace, inFlight, ended);
            } finally {
                MDC.setContextMap(own == null ? Map.of() : own);
            }
        });
    }

    private static void logStopped(long start, Duration grace, int inFlight, int ended) {
        String took = seconds(Duration.ofNanos(System.nanoTime() - start));
        if (ended > 0) {
            // A stream may have been admitted just before the stop began and counted late.
            LOG.warn("Stopped after {}: {} in flight, {} cut off at the {} grace limit with a "
                    + "shutdown error", took, streams(Math.max(inFlight, ended)), ended,
                    seconds(grace));
        } else if (inFlight > 0) {
            LOG.info("Stopped after {}: {} in flight, none cut off", took, streams(inFlight));
        } else {
            LOG.info("Stopped after {}: no stream was in flight", took);
        }
    }

    private static String streams(int count) {
        return count == 1 ? "1 stream" : count + " streams";
    }

    /** A duration as people read it in a log line: 30s, 0.3s, 1.25s. */
    private static String seconds(Duration duration) {
        return BigDecimal.valueOf(duration.toMillis(), 3).stripTrailingZeros().toPlainString()
                + "s";
    }

    /** Why limits and budgets cannot be shared right now, or null when they can (or are not). */
    public String sharingTrouble() {
        return quotas.trouble();
    }

    @Override
    public void close() {
        watchdog.close();
        resumables.close();
        upstream.close();
        quotas.close();
        if (redis != null) {
            redis.close();
        }
        metrics.close(); // the last push over OTLP, with the streams that ended in the stop
    }
}
