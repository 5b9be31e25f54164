package dev.sluice.config;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * Sluice's settings, read once at start-up and immutable after.
 *
 * @param routes the upstreams, each under its own path prefix
 * @param access who may call; {@link Access#NONE} keeps Sluice on the loopback interface
 * @param corsOrigins the web origins whose pages may call Sluice from a browser
 * @param shutdownGrace how long streams in flight may go on once the server is told to stop
 * @param maxDrains upstreams that may be read to their end at once after their clients left
 * @param maxLineBytes the most of one upstream event (its lines' bytes) held to be looked at; a
 *     longer event is relayed in pieces, unread
 * @param transcriptBytes how much of a stream's event data its transcript keeps
 * @param logContent whether the stream's log line carries the assembled answer
 * @param metrics who may read {@code GET /metrics}
 * @param connections the embedded server's bounds on client connections
 * @param resume how resumable streams are kept
 * @param sharing how limits and budgets are shared with other instances through Redis, or null
 *     when each instance counts them in its own memory
 * @param allowedHosts names of this machine, lower-cased, that a request from it may call it by
 *     besides loopback addresses, {@code localhost} and {@code host}
 * @param maxReaders how many resumable streams one caller may read at once
 *     ({@code GET <prefix>/streams/{id}})
 * @param proxy the outbound proxy for calls to upstreams, from the usual environment variables
 * @param otlp where the meters are pushed over OTLP, or null when they are only served
 * @param warmUp how long the embedded server streams a rehearsal through a private copy of
 *     itself on loopback before {@code /readyz} answers 200; zero for none
 */
public record Config(
        String host,
        int port,
        List<Route> routes,
        Access access,
        Set<String> corsOrigins,
        Timeouts timeouts,
        Retries retries,
        Duration shutdownGrace,
        int maxDrains,
        int maxLineBytes,
        int maxBodyBytes,
        int transcriptBytes,
        boolean logContent,
        MetricsAccess metrics,
        Duration simulatedTokenDelay,
        String demoModel,
        Connections connections,
        Resume resume,
        Sharing sharing,
        Set<String> allowedHosts,
        int maxReaders,
        OutboundProxy proxy,
        Otlp otlp,
        Duration warmUp) {

    private static final String CONFIG = "SLUICE_CONFIG";
    private static final String HOST = "SLUICE_HOST";
    private static final String PORT = "SLUICE_PORT";
    private static final String ROUTES = "SLUICE_ROUTES";
    private static final String ACCESS = "SLUICE_ACCESS";
    private static final String CORS_ORIGINS = "SLUICE_CORS_ORIGINS";
    private static final String ALLOWED_HOSTS = "SLUICE_ALLOWED_HOSTS";
    private static final String CONNECT_TIMEOUT = "SLUICE_CONNECT_TIMEOUT";
    private static final String RESPONSE_TIMEOUT = "SLUICE_RESPONSE_TIMEOUT";
    private static final String FIRST_EVENT_TIMEOUT = "SLUICE_FIRST_EVENT_TIMEOUT";
    private static final String IDLE_TIMEOUT = "SLUICE_IDLE_TIMEOUT";
    private static final String STREAM_TIMEOUT = "SLUICE_STREAM_TIMEOUT";
    private static final String HEARTBEAT = "SLUICE_HEARTBEAT";
    private static final String RETRIES = "SLUICE_RETRIES";
    private static final String RETRY_MAX_WAIT = "SLUICE_RETRY_MAX_WAIT";
    private static final String HEALTH_FAILURES = "SLUICE_HEALTH_FAILURES";
    private static final String HEALTH_COOLDOWN = "SLUICE_HEALTH_COOLDOWN";
    private static final String QUEUE_WAIT = "SLUICE_QUEUE_WAIT";
    private static final String QUEUE_LENGTH = "SLUICE_QUEUE_LENGTH";
    private static final String QUEUE_PER_CALLER = "SLUICE_QUEUE_PER_CALLER";
    private static final String SHUTDOWN_GRACE = "SLUICE_SHUTDOWN_GRACE";
    private static final String MAX_DRAINS = "SLUICE_MAX_DRAINS";
    private static final String MAX_LINE_BYTES = "SLUICE_MAX_LINE_BYTES";
    private static final String MAX_READERS = "SLUICE_MAX_READERS";
    private static final String MAX_BODY_BYTES = "SLUICE_MAX_BODY_BYTES";
    private static final String TRANSCRIPT_BYTES = "SLUICE_TRANSCRIPT_BYTES";
    private static final String LOG_CONTENT = "SLUICE_LOG_CONTENT";
    private static final String METRICS = "SLUICE_METRICS";
    private static final String SIMULATED_TOKEN_DELAY = "SLUICE_SIMULATED_TOKEN_DELAY";
    private static final String DEMO_MODEL = "SLUICE_DEMO_MODEL";
    private static final String MAX_CONNECTIONS = "SLUICE_MAX_CONNECTIONS";
    private static final String MIN_REQUEST_RATE = "SLUICE_MIN_REQUEST_RATE";
    private static final String HEADER_TIMEOUT = "SLUICE_HEADER_TIMEOUT";
    private static final String WARM_UP = "SLUICE_WARM_UP";
    /** How long the embedded server rehearses on loopback before /readyz answers 200. */
    public static final Duration WARM_UP_DEFAULT = Duration.ofSeconds(2);
    private static final String REDIS_URL = "SLUICE_REDIS_URL";
    private static final String REDIS_PASSWORD = "SLUICE_REDIS_PASSWORD";
    private static final String REDIS_PREFIX = "SLUICE_REDIS_PREFIX";
    private static final String REDIS_TIMEOUT = "SLUICE_REDIS_TIMEOUT";
    private static final String REDIS_LEASE = "SLUICE_REDIS_LEASE";
    private static final String REDIS_LIMITS_FAIL_OPEN = "SLUICE_REDIS_LIMITS_FAIL_OPEN";
    private static final String REDIS_BUDGETS_FAIL_OPEN = "SLUICE_REDIS_BUDGETS_FAIL_OPEN";
    /** Names the log format, text or json: read as a system property, then from the environment. */
    public static final String LOG_FORMAT = "SLUICE_LOG_FORMAT";
    /** Set by the training run of the start-up cache: start, serve once and stop. */
    public static final String START_ONLY = "sluice.start-only";
    /** With {@link #START_ONLY}: how long the training run streams a rehearsal, in seconds. */
    public static final String REHEARSAL_SECONDS = "sluice.rehearsal-seconds";
    private static final String RESUME_RETENTION = "SLUICE_RESUME_RETENTION";
    private static final String RESUME_MEMORY = "SLUICE_RESUME_MEMORY";
    private static final String RESUME_GRACE = "SLUICE_RESUME_GRACE";
    private static final String RESUME_SECRET = "SLUICE_RESUME_SECRET";
    private static final String RESUME_EVENTS = "SLUICE_RESUME_EVENTS";
    private static final String OTLP_URL = "SLUICE_OTLP_URL";
    private static final String OTLP_STEP = "SLUICE_OTLP_STEP";
    private static final String RESUME_POLL = "SLUICE_RESUME_POLL";
    private static final Set<String> LOG_FORMATS = Set.of("text", "json");
    private static final Set<String> KNOWN = Set.of(HOST, PORT, ROUTES, ACCESS, CORS_ORIGINS,
            ALLOWED_HOSTS, CONNECT_TIMEOUT,
            RESPONSE_TIMEOUT, FIRST_EVENT_TIMEOUT, IDLE_TIMEOUT, STREAM_TIMEOUT, HEARTBEAT, RETRIES,
            RETRY_MAX_WAIT, HEALTH_FAILURES, HEALTH_COOLDOWN, QUEUE_WAIT, QUEUE_LENGTH,
            QUEUE_PER_CALLER, SHUTDOWN_GRACE, MAX_DRAINS, MAX_LINE_BYTES, MAX_BODY_BYTES,
            TRANSCRIPT_BYTES, LOG_CONTENT, METRICS, SIMULATED_TOKEN_DELAY, DEMO_MODEL, MAX_CONNECTIONS,
            MIN_REQUEST_RATE, HEADER_TIMEOUT, REDIS_URL, REDIS_PREFIX, REDIS_TIMEOUT, REDIS_LEASE,
            REDIS_LIMITS_FAIL_OPEN, REDIS_BUDGETS_FAIL_OPEN, RESUME_RETENTION, RESUME_MEMORY,
            RESUME_GRACE, RESUME_EVENTS, RESUME_POLL, MAX_READERS, KeysFile.VARIABLE, OTLP_URL,
            OTLP_STEP, WARM_UP);

    /**
     * Every {@code SLUICE_*} setting Sluice reads by its own name (not those a route or the
     * access file names), as the README's settings table must list them.
     */
    public static Set<String> settingNames() {
        Set<String> names = new TreeSet<>(KNOWN);
        names.addAll(List.of(CONFIG, LOG_FORMAT, REDIS_PASSWORD, RESUME_SECRET));
        return Collections.unmodifiableSet(names);
    }

    /** Streams one caller may read at once by default: a tab or an app follows a few. */
    public static final int MAX_READERS_DEFAULT = 16;

    /** Who may read the metrics: this machine only, anyone, or nobody (not served). */
    public enum MetricsAccess { LOOPBACK, ANYONE, OFF }

    public Config {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(metrics, "metrics");
        routes = List.copyOf(routes);
        corsOrigins = Set.copyOf(corsOrigins);
        allowedHosts = Set.copyOf(allowedHosts);
        if (maxReaders < 1) {
            throw new ConfigException(Settings.describe(MAX_READERS) + " must be at least 1");
        }
        if (!access.configured() && !Loopback.host(host)) {
            throw new ConfigException("SLUICE_HOST is " + host + " but no client authentication "
                    + "is configured (SLUICE_ACCESS): anyone who can reach it could spend the "
                    + "provider keys. Configure clients, or listen on 127.0.0.1 (a host name "
                    + "counts as loopback only when all its addresses are)");
        }
        checkClientRoutes(access, routes);
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(retries, "retries");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        Objects.requireNonNull(simulatedTokenDelay, "simulatedTokenDelay");
        Objects.requireNonNull(demoModel, "demoModel");
        Objects.requireNonNull(connections, "connections");
        Objects.requireNonNull(resume, "resume");
        Objects.requireNonNull(proxy, "proxy");
        Objects.requireNonNull(warmUp, "warmUp");
        if (warmUp.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new ConfigException(WARM_UP + " must be at most 1m, not "
                    + Settings.format(warmUp));
        }
    }

    /** Settings with the default warm-up. */
    public Config(String host, int port, List<Route> routes, Access access,
            Set<String> corsOrigins, Timeouts timeouts, Retries retries, Duration shutdownGrace,
            int maxDrains, int maxLineBytes, int maxBodyBytes, int transcriptBytes,
            boolean logContent, MetricsAccess metrics, Duration simulatedTokenDelay,
            String demoModel, Connections connections, Resume resume, Sharing sharing,
            Set<String> allowedHosts, int maxReaders, OutboundProxy proxy, Otlp otlp) {
        this(host, port, routes, access, corsOrigins, timeouts, retries, shutdownGrace, maxDrains,
                maxLineBytes, maxBodyBytes, transcriptBytes, logContent, metrics,
                simulatedTokenDelay, demoModel, connections, resume, sharing, allowedHosts,
                maxReaders, proxy, otlp, WARM_UP_DEFAULT);
    }

    /** The settings as they were, with resumable streams kept as {@code resume} says. */
    public Config withResume(Resume resume) {
        return new Config(host, port, routes, access, corsOrigins, timeouts, retries,
                shutdownGrace, maxDrains, maxLineBytes, maxBodyBytes, transcriptBytes, logContent,
                metrics, simulatedTokenDelay, demoModel, connections, resume, sharing,
                allowedHosts, maxReaders, proxy, otlp, warmUp);
    }

    /** Settings with no host names allowed beyond loopback, localhost and the host. */
    public Config(String host, int port, List<Route> routes, Access access,
            Set<String> corsOrigins, Timeouts timeouts, Retries retries, Duration shutdownGrace,
            int maxDrains, int maxLineBytes, int maxBodyBytes, int transcriptBytes,
            boolean logContent, MetricsAccess metrics, Duration simulatedTokenDelay,
            String demoModel, Connections connections, Resume resume, Sharing sharing) {
        this(host, port, routes, access, corsOrigins, timeouts, retries, shutdownGrace, maxDrains,
                maxLineBytes, maxBodyBytes, transcriptBytes, logContent, metrics,
                simulatedTokenDelay, demoModel, connections, resume, sharing, Set.of(),
                MAX_READERS_DEFAULT, OutboundProxy.JVM, null);
    }

    /** Settings without sharing: each instance counts limits and budgets on its own. */
    public Config(String host, int port, List<Route> routes, Access access,
            Set<String> corsOrigins, Timeouts timeouts, Retries retries, Duration shutdownGrace,
            int maxDrains, int maxLineBytes, int maxBodyBytes, int transcriptBytes,
            boolean logContent, MetricsAccess metrics, Duration simulatedTokenDelay,
            String demoModel, Connections connections, Resume resume) {
        this(host, port, routes, access, corsOrigins, timeouts, retries, shutdownGrace, maxDrains,
                maxLineBytes, maxBodyBytes, transcriptBytes, logContent, metrics,
                simulatedTokenDelay, demoModel, connections, resume, null);
    }

    /** A client limited to a route that does not exist would be refused everything, silently. */
    private static void checkClientRoutes(Access access, List<Route> routes) {
        Set<String> names = new TreeSet<>();
        routes.forEach(route -> names.add(route.name()));
        List<Client> clients = new ArrayList<>(access.tokens().values());
        if (access.jwt() != null) {
            clients.add(access.jwt().client());
        }
        if (access.anonymous() != null) {
            clients.add(access.anonymous());
        }
        for (Client client : clients) {
            for (String route : new TreeSet<>(client.routes())) {
                if (!names.contains(route)) {
                    throw new ConfigException("access file: client " + client.name()
                            + " may use route '" + route + "', but no route of that name is on; "
                            + "the routes are " + String.join(", ", names));
                }
            }
        }
    }

    /** Reads the settings from system properties, the environment and the optional file. */
    public static Config load(Map<String, String> env, Properties system) {
        checkLogFormat(env, system);
        Set<String> secretSettings = Set.of("OPENAI_API_KEY", "ANTHROPIC_API_KEY",
                REDIS_PASSWORD, RESUME_SECRET);
        Settings s = Settings.load(env, system, CONFIG, KNOWN, secretSettings);
        SettingNames names = new SettingNames();
        KNOWN.forEach(names::setting);
        secretSettings.forEach(names::setting);
        names.setting(CONFIG);
        names.variable(LOG_FORMAT);
        names.property(START_ONLY);
        names.property(REHEARSAL_SECONDS);
        String keysFile = s.raw(KeysFile.VARIABLE);
        Map<String, String> secrets = keysFile == null ? Map.of() : KeysFile.read(keysFile);
        List<Route> routes = Routes.load(s.raw(ROUTES), env, system, names, secrets);
        Access access = AccessFile.load(s.raw(ACCESS), env, names, secrets);
        names.check(env, system);
        for (String variable : secrets.keySet()) {
            if (!names.knows(variable)) {
                throw new ConfigException(Settings.describe(KeysFile.VARIABLE) + " gives "
                        + variable + ", which no route's key-env or url-env nor the access "
                        + "file's jwt.hs256-secret-env names");
            }
        }
        return new Config(
                s.string(HOST, "127.0.0.1"),
                s.integer(PORT, 8080, 0, 65535),
                routes,
                access,
                s.origins(CORS_ORIGINS),
                timeouts(s),
                new Retries(s.integer(RETRIES, Retries.DEFAULTS.attempts(), 0, 10),
                        Retries.DEFAULTS.backoff(),
                        s.duration(RETRY_MAX_WAIT, Retries.DEFAULTS.maxWait(), true),
                        s.integer(HEALTH_FAILURES, Retries.DEFAULTS.trips(), 1, 1000),
                        s.duration(HEALTH_COOLDOWN, Retries.DEFAULTS.coolDown(), false),
                        new Queueing(s.duration(QUEUE_WAIT, Queueing.DEFAULTS.maxWait(), true),
                                s.integer(QUEUE_LENGTH, Queueing.DEFAULTS.length(), 0, 100_000),
                                s.integer(QUEUE_PER_CALLER, Queueing.DEFAULTS.perCaller(), 1,
                                        10_000))),
                s.duration(SHUTDOWN_GRACE, Duration.ofSeconds(30), true),
                s.integer(MAX_DRAINS, 100, 0, 100_000),
                s.integer(MAX_LINE_BYTES, 1 << 20, 1024, 64 << 20),
                s.integer(MAX_BODY_BYTES, 1 << 20, 1024, 64 << 20),
                s.integer(TRANSCRIPT_BYTES, 1 << 20, 0, 256 << 20),
                s.bool(LOG_CONTENT, false),
                s.choice(METRICS, MetricsAccess.LOOPBACK),
                s.duration(SIMULATED_TOKEN_DELAY, Duration.ofMillis(30), true),
                s.string(DEMO_MODEL, "gpt-4o-mini"),
                connections(s),
                resume(s),
                sharing(s),
                s.hosts(ALLOWED_HOSTS),
                s.integer(MAX_READERS, MAX_READERS_DEFAULT, 1, 1_000_000),
                OutboundProxy.from(env),
                otlp(s),
                s.duration(WARM_UP, WARM_UP_DEFAULT, true));
    }

    /** Null without SLUICE_REDIS_URL: then nothing is shared, as before there was Redis. */
    private static Sharing sharing(Settings s) {
        String url = s.raw(REDIS_URL);
        if (url == null) {
            return null;
        }
        String password = s.raw(REDIS_PASSWORD);
        try {
            return Sharing.parse(url, password == null ? null : new Secret(password),
                    s.string(REDIS_PREFIX, "sluice:"),
                    s.duration(REDIS_TIMEOUT, Duration.ofMillis(250), false),
                    s.duration(REDIS_LEASE, Duration.ofSeconds(30), false),
                    s.bool(REDIS_LIMITS_FAIL_OPEN, true), s.bool(REDIS_BUDGETS_FAIL_OPEN, false));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /** Null without SLUICE_OTLP_URL: the meters are then only served on /metrics. */
    private static Otlp otlp(Settings s) {
        String url = s.raw(OTLP_URL);
        Duration step = s.duration(OTLP_STEP, Duration.ofSeconds(60), false);
        if (url == null) {
            return null;
        }
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null || !("http".equals(uri.getScheme())
                || "https".equals(uri.getScheme()))) {
            throw new ConfigException(Settings.describe(OTLP_URL) + " must be an http(s) URL "
                    + "such as http://127.0.0.1:4318/v1/metrics");
        }
        return new Otlp(uri, step);
    }

    private static Resume resume(Settings s) {
        Resume d = Resume.DEFAULTS;
        String secret = s.raw(RESUME_SECRET);
        if (secret != null && secret.length() < 32) {
            throw new ConfigException(Settings.describe(RESUME_SECRET) + " must be at least 32 "
                    + "characters (e.g. head -c 32 /dev/urandom | base64); it was shorter");
        }
        return new Resume(s.duration(RESUME_RETENTION, d.retention(), false),
                s.integer(RESUME_MEMORY, (int) d.memoryBytes(), 1024, Integer.MAX_VALUE),
                s.duration(RESUME_GRACE, d.grace(), false),
                secret == null ? null : new Secret(secret),
                s.integer(RESUME_EVENTS, (int) d.maxEvents(), 10, Integer.MAX_VALUE),
                s.duration(RESUME_POLL, d.poll(), false));
    }

    private static Connections connections(Settings s) {
        Connections d = Connections.DEFAULTS;
        return new Connections(s.integer(MAX_CONNECTIONS, d.max(), 1, 1_000_000),
                s.integer(MIN_REQUEST_RATE, d.minRequestRate(), 0, 1 << 30),
                s.duration(HEADER_TIMEOUT, d.headerTimeout(), false));
    }

    /**
     * SLUICE_LOG_FORMAT is read by the logging setup, as a system property or from the
     * environment, before this runs; a value it does not know is refused here, not ignored.
     */
    private static void checkLogFormat(Map<String, String> env, Properties system) {
        String format = system.getProperty(LOG_FORMAT, env.get(LOG_FORMAT));
        if (format != null && !LOG_FORMATS.contains(format)) {
            throw new ConfigException(LOG_FORMAT + " (environment or -D" + LOG_FORMAT
                    + ") must be text or json, got '" + format + "'");
        }
    }

    private static Timeouts timeouts(Settings s) {
        Timeouts d = Timeouts.DEFAULTS;
        return new Timeouts(
                s.duration(CONNECT_TIMEOUT, d.connect(), false),
                s.duration(RESPONSE_TIMEOUT, d.response(), false),
                s.duration(FIRST_EVENT_TIMEOUT, d.firstEvent(), false),
                s.duration(IDLE_TIMEOUT, d.idle(), false),
                s.duration(STREAM_TIMEOUT, d.stream(), false),
                s.duration(HEARTBEAT, d.heartbeat(), false));
    }

    /**
     * The start-up log's line for the settings file that {@link #load} reads with these
     * sources, or says there is none: which file a deployment took its settings from.
     */
    public static Map.Entry<String, String> settingsFile(Map<String, String> env,
            Properties system) {
        String file = system.getProperty(Settings.propertyOf(CONFIG), env.get(CONFIG));
        return Map.entry(Settings.describe(CONFIG), file == null || file.isBlank()
                ? "(none: the environment, system properties and defaults only)"
                : file.strip());
    }

    /** Reads the settings of this process. */
    public static Config fromEnvironment() {
        return load(System.getenv(), System.getProperties());
    }

    /** True when a route answers from the built-in simulated upstream. */
    public boolean simulated() {
        return routes.stream().anyMatch(Route::simulated);
    }

    /** The route of that name; fails if there is none. */
    public Route route(String name) {
        return routes.stream().filter(r -> r.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no route " + name));
    }

    /** The routes a request to {@code route} may be served by: itself, then its fallbacks. */
    public List<Route> chain(Route route) {
        return Routes.chain(route, routes);
    }

    /** The effective settings for the embedded server's start-up log. */
    public Map<String, String> describe() {
        return describe(true);
    }

    /**
     * The effective settings for the start-up log; the key appears only as a fingerprint.
     *
     * @param embedded false in a servlet container, which chooses its own address, port and
     *     connection limits: the log then says so instead of showing settings it ignores
     */
    public Map<String, String> describe(boolean embedded) {
        String container = "(not used: the servlet container's own settings apply)";
        Map<String, String> lines = new LinkedHashMap<>();
        lines.put(Settings.describe(HOST), embedded ? host : container);
        lines.put(Settings.describe(PORT), embedded ? Integer.toString(port) : container);
        for (Route route : routes) {
            String policy = route.policy().describe();
            String where = route.serving().exposed() ? route.prefix() : "(fallback only)";
            lines.put("route " + route.name() + " " + where, route.dialect() + " -> "
                    + (route.simulated() ? "(simulated upstream)" : route.url()) + ", "
                    + (route.keys().size() > 1 ? route.keys().size() + " keys " + route.keys()
                            : !route.keys().isEmpty() ? "key " + route.keys().getFirst()
                            : route.missingKey() == null ? "key (none)"
                            : "key (none: " + route.missingKey() + " is unset, so it answers "
                                    + "503)")
                    + "; relays " + String.join(", ", route.operations().stream()
                            .map(o -> o.method() + " " + route.prefix() + o.path()).toList())
                    + (policy.isEmpty() ? "" : "; " + policy)
                    + (route.drain() ? "; drains the upstream when its client leaves" : "")
                    + (route.resumable() ? "; every stream resumable" : "")
                    + route.serving().describe());
        }
        lines.put(Settings.describe(ACCESS), (!access.configured()
                ? "(none: only this machine may call; callers from other addresses, and "
                        + "requests through a proxy not trusted, get 403)"
                : access.tokens().size() + (access.tokens().size() == 1 ? " token client"
                        : " token clients")
                        + (access.jwt() != null ? ", JWT users" : "")
                        + (access.anonymous() != null ? ", anonymous callers" : ""))
                + (access.trustedProxies().isEmpty() ? "" : "; trusted proxies: "
                        + String.join(", ", access.trustedProxies().stream().sorted().toList())));
        lines.put(Settings.describe(CORS_ORIGINS), corsOrigins.isEmpty() ? "(none)"
                : String.join(", ", corsOrigins.stream().sorted().toList()));
        lines.put(Settings.describe(ALLOWED_HOSTS), (allowedHosts.isEmpty() ? "(none)"
                : String.join(", ", allowedHosts.stream().sorted().toList()))
                + (access.configured() && metrics != MetricsAccess.LOOPBACK ? " (not used)" : ""));
        lines.put("HTTPS_PROXY, HTTP_PROXY, NO_PROXY", proxy.toString());
        lines.put(Settings.describe(CONNECT_TIMEOUT), Settings.format(timeouts.connect()));
        lines.put(Settings.describe(RESPONSE_TIMEOUT), Settings.format(timeouts.response()));
        lines.put(Settings.describe(FIRST_EVENT_TIMEOUT), Settings.format(timeouts.firstEvent()));
        lines.put(Settings.describe(IDLE_TIMEOUT), Settings.format(timeouts.idle()));
        lines.put(Settings.describe(STREAM_TIMEOUT), Settings.format(timeouts.stream()));
        lines.put(Settings.describe(HEARTBEAT), Settings.format(timeouts.heartbeat()));
        lines.put(Settings.describe(RETRIES), Integer.toString(retries.attempts()));
        lines.put(Settings.describe(RETRY_MAX_WAIT), Settings.format(retries.maxWait()));
        lines.put(Settings.describe(HEALTH_FAILURES), Integer.toString(retries.trips()));
        lines.put(Settings.describe(HEALTH_COOLDOWN), Settings.format(retries.coolDown()));
        lines.put(Settings.describe(QUEUE_WAIT), Settings.format(retries.queue().maxWait()));
        lines.put(Settings.describe(QUEUE_LENGTH), Integer.toString(retries.queue().length()));
        lines.put(Settings.describe(QUEUE_PER_CALLER),
                Integer.toString(retries.queue().perCaller()));
        lines.put(Settings.describe(SHUTDOWN_GRACE), Settings.format(shutdownGrace));
        lines.put(Settings.describe(MAX_DRAINS), Integer.toString(maxDrains));
        lines.put(Settings.describe(MAX_LINE_BYTES), Integer.toString(maxLineBytes));
        lines.put(Settings.describe(MAX_BODY_BYTES), Integer.toString(maxBodyBytes));
        lines.put(Settings.describe(TRANSCRIPT_BYTES), Integer.toString(transcriptBytes));
        lines.put(Settings.describe(LOG_CONTENT), Boolean.toString(logContent));
        lines.put(Settings.describe(METRICS), metrics.name().toLowerCase(Locale.ROOT));
        lines.put(Settings.describe(SIMULATED_TOKEN_DELAY), Settings.format(simulatedTokenDelay));
        lines.put(Settings.describe(DEMO_MODEL), demoModel);
        lines.put(Settings.describe(MAX_CONNECTIONS), embedded
                ? Integer.toString(connections.max()) : container);
        lines.put(Settings.describe(MIN_REQUEST_RATE), embedded
                ? Integer.toString(connections.minRequestRate()) : container);
        lines.put(Settings.describe(HEADER_TIMEOUT), embedded
                ? Settings.format(connections.headerTimeout()) : container);
        lines.put(Settings.describe(WARM_UP), embedded ? Settings.format(warmUp) : container);
        if (sharing == null) {
            lines.put(Settings.describe(REDIS_URL), "(none: limits and budgets are counted by "
                    + "this instance alone)");
        } else {
            lines.put(Settings.describe(REDIS_URL), sharing.toString());
            lines.put(Settings.describe(REDIS_PREFIX), sharing.prefix());
            lines.put(Settings.describe(REDIS_TIMEOUT), Settings.format(sharing.timeout()));
            lines.put(Settings.describe(REDIS_LEASE), Settings.format(sharing.lease()));
            lines.put(Settings.describe(REDIS_LIMITS_FAIL_OPEN), sharing.limitsFailOpen()
                    + (sharing.limitsFailOpen() ? " (while Redis is away, counted per instance)"
                            : " (while Redis is away, limited clients get 503)"));
            lines.put(Settings.describe(REDIS_BUDGETS_FAIL_OPEN), sharing.budgetsFailOpen()
                    + (sharing.budgetsFailOpen() ? " (while Redis is away, counted per instance)"
                            : " (while Redis is away, budgeted clients get 503)"));
        }
        lines.put(Settings.describe(OTLP_URL), otlp == null ? "(none: not pushed, only scraped)"
                : otlp.toString());
        lines.put(Settings.describe(RESUME_RETENTION), Settings.format(resume.retention()));
        lines.put(Settings.describe(RESUME_MEMORY), Long.toString(resume.memoryBytes()));
        lines.put(Settings.describe(RESUME_GRACE), Settings.format(resume.grace()));
        lines.put(Settings.describe(MAX_READERS), maxReaders + " (per caller)");
        if (sharing != null) {
            lines.put(Settings.describe(RESUME_EVENTS), resume.maxEvents()
                    + " (about, per stream log in Redis)");
            lines.put(Settings.describe(RESUME_POLL), Settings.format(resume.poll())
                    + " (a reader's look at its stream's log with no message)");
        }
        lines.put(Settings.describe(RESUME_SECRET), resume.secret() == null
                ? "(unset: a random key per process, so a stream URL works on this instance only)"
                : "(set)");
        return lines;
    }
}
