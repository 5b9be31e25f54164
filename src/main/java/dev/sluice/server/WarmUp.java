package dev.sluice.server;

import dev.sluice.config.Config;
import dev.sluice.observe.LogSetup;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Brings a new process's hot code to speed before {@code /readyz} answers 200, so that a load
 * balancer sends nothing to a cold instance: a {@link Rehearsal} through a private, quiet copy of
 * Sluice with its built-in settings (the simulated upstream, on a loopback port of its own). The
 * copy shares the code of every stream's path with the served one and nothing else: its own
 * metrics, limits and budgets, no listener, no Redis, and nothing it serves is logged, so the
 * rehearsal leaves no trace a user would take for traffic.
 */
final class WarmUp {

    private static final Logger LOG = LoggerFactory.getLogger(WarmUp.class);

    private WarmUp() {}

    /** Rehearses for {@code length}; a rehearsal that fails is logged, and readiness follows. */
    static void run(Duration length) {
        long start = System.nanoTime();
        Properties settings = new Properties();
        settings.setProperty("sluice.host", "127.0.0.1");
        settings.setProperty("sluice.port", "0");
        settings.setProperty("sluice.metrics", "off");
        settings.setProperty("sluice.warm-up", "0s");
        // Tokens as fast as they can be sent, not the demo's one every 30 ms: more streams and
        // events in the same time.
        settings.setProperty("sluice.simulated-token-delay", "0ms");
        Rehearsal.Rehearsed rehearsed = null;
        // The copy's own start and stop lines are not the served instance's either.
        MDC.put(LogSetup.QUIET, "true");
        try {
            Config config = Config.load(Map.of(), settings);
            Server copy = SluiceServer.createServer(config, true);
            copy.start();
            try {
                ServerConnector connector = (ServerConnector) copy.getConnectors()[0];
                rehearsed = Rehearsal.run(URI.create("http://127.0.0.1:"
                        + connector.getLocalPort()), config.routes(), length);
            } finally {
                copy.stop();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            MDC.remove(LogSetup.QUIET);
            LOG.warn("the warm-up failed ({}); ready without it", e.toString());
        } finally {
            MDC.remove(LogSetup.QUIET);
        }
        if (rehearsed != null) {
            LOG.info("Warmed up in {} ms ({} rehearsal calls on loopback, {} failed): ready",
                    (System.nanoTime() - start) / 1_000_000, rehearsed.calls(),
                    rehearsed.failed());
        }
    }
}
