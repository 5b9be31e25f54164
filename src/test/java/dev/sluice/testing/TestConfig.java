package dev.sluice.testing;

import dev.sluice.config.Access;
import dev.sluice.config.Config;
import dev.sluice.config.Connections;
import dev.sluice.config.Otlp;
import dev.sluice.config.OutboundProxy;
import dev.sluice.config.Policy;
import dev.sluice.config.Resume;
import dev.sluice.config.Retries;
import dev.sluice.config.Route;
import dev.sluice.config.Secret;
import dev.sluice.config.Serving;
import dev.sluice.config.Sharing;
import dev.sluice.config.Timeouts;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Builds a {@link Config} for a test: loopback, port 0, no retries, an {@code openai} route at
 * {@code /v1}, unless the test says otherwise.
 */
public final class TestConfig {

    private URI upstream;
    private Secret key;
    private Timeouts timeouts = Timeouts.DEFAULTS;
    private Retries retries = new Retries(0, Duration.ofMillis(10), Duration.ofSeconds(1));
    private Duration shutdownGrace = Duration.ofSeconds(5);
    private int maxLineBytes = 1 << 20;
    private Policy policy = Policy.NONE;
    private boolean logContent;
    private Access access = Access.NONE;
    private Set<String> corsOrigins = Set.of();
    private Set<String> allowedHosts = Set.of();
    private int maxReaders = Config.MAX_READERS_DEFAULT;
    private OutboundProxy proxy = OutboundProxy.JVM;
    private Otlp otlp;
    private int maxDrains = 2;
    private Connections connections = Connections.DEFAULTS;
    private Sharing sharing;
    private Resume resume = Resume.DEFAULTS;
    private boolean resumable;
    private List<Secret> keys;
    private Serving serving = Serving.DEFAULT;
    private final List<Route> routes = new ArrayList<>();

    private TestConfig(URI upstream, Secret key) {
        this.upstream = upstream;
        this.key = key;
    }

    /** Relaying to {@code upstream} (null: the simulated upstream) with {@code key} (or none). */
    public static TestConfig relayingTo(URI upstream, Secret key) {
        return new TestConfig(upstream, key);
    }

    public TestConfig timeouts(Timeouts timeouts) {
        this.timeouts = timeouts;
        return this;
    }

    public TestConfig retries(Retries retries) {
        this.retries = retries;
        return this;
    }

    public TestConfig shutdownGrace(Duration grace) {
        this.shutdownGrace = grace;
        return this;
    }

    /** The policy of the default route ({@code openai} at {@code /v1}). */
    public TestConfig policy(Policy policy) {
        this.policy = policy;
        return this;
    }

    /** Another route beside the default one. */
    public TestConfig route(Route route) {
        routes.add(route);
        return this;
    }

    public TestConfig access(Access access) {
        this.access = access;
        return this;
    }

    public TestConfig corsOrigins(String... origins) {
        this.corsOrigins = Set.of(origins);
        return this;
    }

    /** Names of this machine that requests from it may call Sluice by (SLUICE_ALLOWED_HOSTS). */
    public TestConfig allowedHosts(String... hosts) {
        this.allowedHosts = Set.of(hosts);
        return this;
    }

    /** How many streams one caller may read at once (SLUICE_MAX_READERS). */
    public TestConfig otlp(Otlp otlp) {
        this.otlp = otlp;
        return this;
    }

    public TestConfig proxy(OutboundProxy proxy) {
        this.proxy = proxy;
        return this;
    }

    public TestConfig maxReaders(int readers) {
        this.maxReaders = readers;
        return this;
    }

    /** How many upstreams may be drained at once (SLUICE_MAX_DRAINS). */
    public TestConfig maxDrains(int drains) {
        this.maxDrains = drains;
        return this;
    }

    /** Puts each stream's assembled answer into its log line. */
    public TestConfig logContent() {
        this.logContent = true;
        return this;
    }

    public TestConfig maxLineBytes(int bytes) {
        this.maxLineBytes = bytes;
        return this;
    }

    public TestConfig connections(Connections connections) {
        this.connections = connections;
        return this;
    }

    /** Limits and budgets shared through Redis. */
    public TestConfig sharing(Sharing sharing) {
        this.sharing = sharing;
        return this;
    }

    /** How resumable streams are kept (short grace and retention for tests that wait). */
    public TestConfig resume(Resume resume) {
        this.resume = resume;
        return this;
    }

    /** The default route's key pool, in place of its one key. */
    public TestConfig keys(Secret... pool) {
        this.keys = List.of(pool);
        return this;
    }

    /** How the default route is served: its fallbacks, key header, model names. */
    public TestConfig serving(Serving how) {
        this.serving = how;
        return this;
    }

    /** Makes every stream of the default route resumable. */
    public TestConfig resumable() {
        this.resumable = true;
        return this;
    }

    public Config build() {
        List<Route> all = new ArrayList<>(routes);
        Route first = new Route("openai", "/v1", upstream, "openai-chat", key, policy)
                .resumable(resumable).serving(serving);
        all.addFirst(keys == null ? first : first.keys(keys));
        return new Config("127.0.0.1", 0, all, access, corsOrigins, timeouts, retries,
                shutdownGrace, maxDrains,
                maxLineBytes, 1 << 20, 1 << 20, logContent, Config.MetricsAccess.LOOPBACK,
                Duration.ofMillis(1), "gpt-test", connections, resume, sharing,
                allowedHosts, maxReaders, proxy, otlp);
    }
}
