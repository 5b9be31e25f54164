package dev.sluice.server;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.config.Route;
import dev.sluice.web.Endpoints;
import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.component.Graceful;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.VirtualThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/** The executable jar: Sluice's servlets and the demo page on embedded Jetty. */
public final class SluiceServer {

    private static final Logger LOG = LoggerFactory.getLogger(SluiceServer.class);
    /** Concurrent requests served at most; each open stream holds one virtual thread. */
    private static final int MAX_VIRTUAL_THREADS = 100_000;
    private static final int PLATFORM_THREADS = 16;
    private static final String HTTP_CLIENT_BUFFER = "jdk.httpclient.bufsize";

    private SluiceServer() {}

    /**
     * {@code kill -HUP} (systemd's reload) reads the settings again and takes their access file
     * and keys; a reload that fails says why in one line and changes nothing.
     */
    private static void reloadOnHangUp(Endpoints endpoints) {
        Signal.handle(new Signal("HUP"), signal -> Thread.ofVirtual().name("sluice-reload")
                .start(() -> {
                    try {
                        LOG.info("Reloaded {}", endpoints.reload(Config.fromEnvironment()));
                    } catch (ConfigException | IllegalArgumentException e) {
                        LOG.warn("Reload failed, the settings in use stay: {}", e.getMessage());
                    }
                }));
    }

    public static void main(String[] args) throws Exception {
        // The JDK HttpClient keeps a read buffer of this size per upstream connection; its 16 KiB
        // default would be most of an idle stream's memory. Events are a few hundred bytes.
        if (System.getProperty(HTTP_CLIENT_BUFFER) == null) {
            System.setProperty(HTTP_CLIENT_BUFFER, "4096");
        }
        Config config;
        Server server;
        try {
            config = Config.fromEnvironment();
            server = createServer(config);
        } catch (ConfigException | IllegalArgumentException e) {
            // A setting Sluice refuses: one plain line, the last one the user sees.
            System.err.println("sluice: " + e.getMessage());
            System.exit(2);
            return;
        }
        boolean warmUp = !config.warmUp().isZero() && !Boolean.getBoolean(Config.START_ONLY);
        Endpoints endpoints = server.getBean(Endpoints.class);
        endpoints.warming(warmUp);
        try {
            server.start();
        } catch (IOException e) {
            // Jetty wraps the bind failure; its own message names neither setting nor cause.
            // Nothing was served, so no graceful stop either: it would log one of nothing.
            server.setStopAtShutdown(false);
            System.err.println("sluice: cannot listen on " + config.host() + ":" + config.port()
                    + " (SLUICE_HOST, SLUICE_PORT): " + rootMessage(e));
            System.exit(2);
            return;
        }
        if (Boolean.getBoolean(Config.START_ONLY)) {
            rehearseAndStop(server, config);
            return;
        }
        Map.Entry<String, String> file = Config.settingsFile(System.getenv(),
                System.getProperties());
        LOG.info("{} = {}", file.getKey(), file.getValue());
        for (Map.Entry<String, String> line : config.describe().entrySet()) {
            LOG.info("{} = {}", line.getKey(), line.getValue());
        }
        List<String> simulated = config.routes().stream().filter(Route::simulated)
                .map(r -> r.name() + " (" + r.prefix() + ")").toList();
        if (!simulated.isEmpty()) {
            LOG.info("No key or base URL set for {}: answering from the built-in simulated "
                    + "upstream; set the route's key (OPENAI_API_KEY, ANTHROPIC_API_KEY) or "
                    + "base URL to relay to a provider", String.join(", ", simulated));
        }
        reloadOnHangUp(server.getBean(Endpoints.class));
        String url = url(server);
        LOG.info("Sluice is listening on {}", url);
        Map<String, String> addresses = new LinkedHashMap<>();
        addresses.put("demo page", url);
        for (var route : config.routes()) {
            addresses.put(route.name() + " API", url + route.prefix().substring(1));
        }
        addresses.put("health", url + "healthz  " + url + "readyz");
        if (config.metrics() != Config.MetricsAccess.OFF) {
            addresses.put("metrics", url + "metrics");
        }
        int width = addresses.keySet().stream().mapToInt(String::length).max().orElse(0);
        addresses.forEach((what, where) -> LOG.info("  {}  {}",
                what + " ".repeat(width - what.length()), where));
        if (warmUp) {
            WarmUp.run(config.warmUp());
            endpoints.warming(false);
        }
        server.join();
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        for (int i = 0; i < 10 && root.getCause() != null; i++) {
            root = root.getCause();
        }
        if (root instanceof UnresolvedAddressException) {
            return "no such host";
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }

    /**
     * A training run for the start-up cache (see the Makefile): one request through the whole
     * server, so its classes are in the cache too, and with {@code sluice.rehearsal-seconds} a
     * rehearsal that long, for the method profiles of every stream's path; then stop.
     */
    private static void rehearseAndStop(Server server, Config config) throws Exception {
        ServerConnector connector = (ServerConnector) server.getConnectors()[0];
        try (Socket socket = new Socket(connector.getHost(), connector.getLocalPort())) {
            socket.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getInputStream().readAllBytes();
        }
        Duration length = Duration.ofSeconds(Integer.getInteger(Config.REHEARSAL_SECONDS, 0));
        if (!length.isZero()) {
            long start = System.nanoTime();
            Rehearsal.Rehearsed rehearsed = Rehearsal.run(URI.create("http://"
                    + connector.getHost() + ":" + connector.getLocalPort()), config.routes(),
                    length);
            LOG.info("Rehearsed {} calls ({} failed) in {} ms", rehearsed.calls(),
                    rehearsed.failed(), (System.nanoTime() - start) / 1_000_000);
        }
        server.stop();
    }

    /**
     * The whole server, not yet started: a connector on {@code config.host()} and
     * {@code config.port()} (0 picks a free port), Jetty's selectors on platform threads and every
     * request on a virtual thread.
     */
    public static Server createServer(Config config) {
        return createServer(config, false);
    }

    /** @param quiet nothing it serves is logged ({@link WarmUp}'s private server) */
    static Server createServer(Config config, boolean quiet) {
        // Platform threads only run the selectors, the acceptor and Jetty's short non-blocking
        // tasks; everything that blocks is on a virtual thread. Left at its default of 200 the
        // pool grew by dozens of threads while thousands of streams were opening.
        QueuedThreadPool threads = new QueuedThreadPool(PLATFORM_THREADS, 4);
        threads.setName("sluice");
        VirtualThreadPool requests = new VirtualThreadPool(MAX_VIRTUAL_THREADS);
        requests.setName("sluice-request");
        threads.setVirtualThreadsExecutor(requests);

        // Each flush takes a small chunk buffer from the pool, and a pool scans a bucket for a free
        // entry: with Jetty's default 4 KiB steps that is the bucket that also holds every open
        // stream's 4 KiB buffers. Steps of 1 KiB keep the two apart.
        Server server = new Server(threads, null, new ArrayByteBufferPool(0, 1024, 65536));
        server.setStopAtShutdown(true);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        // A stream holds its output buffer from the first event to the last: Jetty's 32 KiB
        // default per open stream would outweigh everything else a held stream needs. Events are
        // small; a larger one is written straight through.
        http.setOutputBufferSize(4096);
        // No minimum request data rate here: Jetty times each read() of a body against its first
        // byte, so a stalled reader got 408 for a small body that had come whole. Sluice's
        // watchdog holds the body to the rate instead (Endpoints.embedded).
        HttpConnectionFactory http1 = new HttpConnectionFactory(http);
        // Likewise the connection's input buffer, held while its stream runs (8 KiB by default).
        http1.setInputBufferSize(4096);
        ServerConnector connector = new ShutdownConnector(server, http1);
        connector.setHost(config.host());
        connector.setPort(config.port());
        // Thousands of clients may connect at once (a page reload storm, a benchmark): the
        // default queue of 50 would overflow and their connections wait on retransmits.
        connector.setAcceptQueueSize(1024);
        server.addConnector(connector);
        // At the cap Jetty stops accepting until a connection closes; the rest wait in the queue.
        server.addBean(new NetworkConnectionLimit(config.connections().max(), connector));
        server.addBean(new HeaderDeadline(connector, config.connections().headerTimeout()));

        ServletContextHandler context = new ServletContextHandler("/");
        if (quiet) {
            context.addFilter(new FilterHolder(new Quiet()), "/*",
                    EnumSet.of(DispatcherType.REQUEST));
        }
        Endpoints endpoints = Endpoints.embedded(config);
        for (Endpoints.Endpoint endpoint : endpoints.all()) {
            context.addServlet(new ServletHolder(endpoint.path(), endpoint.servlet()),
                    endpoint.path());
        }
        for (Endpoints.Filtering filtering : endpoints.filters()) {
            context.addFilter(new FilterHolder(filtering.filter()), filtering.path(),
                    EnumSet.of(DispatcherType.REQUEST));
        }
        if (!DemoPageServlet.present()) {
            throw new IllegalStateException("the demo page is missing from the classpath");
        }
        context.addServlet(new ServletHolder("page", new DemoPageServlet()), "/");
        // On stop: refuse new requests (503), let streams finish for the grace period, then end
        // the rest with a shutdown error event; Jetty waits for both before closing connections.
        server.setHandler(new JsonGracefulHandler(context));
        server.setErrorHandler(new JsonErrorHandler());
        context.setErrorHandler(new JsonErrorHandler());
        server.addBean(endpoints, false);
        server.addEventListener(new LifeCycle.Listener() {
            @Override
            public void lifeCycleStopped(LifeCycle stopped) {
                endpoints.close();
            }
        });
        server.addBean(new Graceful() {
            private volatile CompletableFuture<Void> done;

            @Override
            public CompletableFuture<Void> shutdown() {
                done = endpoints.shutdown();
                return done;
            }

            @Override
            public boolean isShutdown() {
                return done != null && done.isDone();
            }
        });
        server.setStopTimeout(config.shutdownGrace().plusSeconds(10).toMillis());
        return server;
    }

    /** The base URL of a started server, e.g. {@code http://127.0.0.1:8080/}. */
    public static String url(Server server) {
        ServerConnector connector = (ServerConnector) server.getConnectors()[0];
        String host = connector.getHost() == null ? "0.0.0.0" : connector.getHost();
        if (host.indexOf(':') >= 0) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + connector.getLocalPort() + "/";
    }
}
