package dev.sluice.relay;

import dev.sluice.config.Config;
import dev.sluice.simulated.SimulatedUpstreamServlet;
import jakarta.servlet.http.HttpServlet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The servlets Sluice serves and their paths: one list, mounted alike by the embedded server and
 * by the WAR's bootstrap, and the relay's graceful shutdown.
 */
public final class Endpoints {

    /** A servlet and the path it answers. */
    public record Endpoint(String path, HttpServlet servlet) {}

    public static final String CHAT_PATH = "/v1/chat/completions";
    public static final String SIMULATED_PATH = "/simulated/v1/chat/completions";

    private final List<Endpoint> all;
    private final RelayServlet relay;

    private Endpoints(List<Endpoint> all, RelayServlet relay) {
        this.all = all;
        this.relay = relay;
    }

    public List<Endpoint> all() {
        return all;
    }

    /**
     * Lets streams in flight finish for the configured grace period, then ends the rest with a
     * shutdown error event; completes when none is open.
     */
    public CompletableFuture<Void> shutdown() {
        return relay.shutdown();
    }

    /** Streams (and non-streamed answers) being relayed right now. */
    public int openStreams() {
        return relay.openStreams();
    }

    public static Endpoints of(Config config) {
        InfoServlet info = new InfoServlet(config);
        RelayServlet relay = new RelayServlet(config);
        List<Endpoint> endpoints = new ArrayList<>(List.of(
                new Endpoint(CHAT_PATH, relay),
                new Endpoint(InfoServlet.HEALTH_PATH, info),
                new Endpoint(InfoServlet.INFO_PATH, info),
                new Endpoint("/v1/*", new UnknownPathServlet())));
        if (config.simulated()) {
            endpoints.add(new Endpoint(SIMULATED_PATH,
                    new SimulatedUpstreamServlet(config.simulatedTokenDelay())));
        }
        return new Endpoints(List.copyOf(endpoints), relay);
    }
}
