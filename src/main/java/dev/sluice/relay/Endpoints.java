package dev.sluice.relay;

import dev.sluice.config.Config;
import dev.sluice.simulated.SimulatedUpstreamServlet;
import jakarta.servlet.http.HttpServlet;
import java.util.ArrayList;
import java.util.List;

/**
 * The servlets Sluice serves and their paths: one list, mounted alike by the embedded server and
 * by the WAR's bootstrap.
 */
public final class Endpoints {

    /** A servlet and the path it answers. */
    public record Endpoint(String path, HttpServlet servlet) {}

    public static final String CHAT_PATH = "/v1/chat/completions";
    public static final String SIMULATED_PATH = "/simulated/v1/chat/completions";

    private Endpoints() {}

    public static List<Endpoint> of(Config config) {
        InfoServlet info = new InfoServlet(config);
        List<Endpoint> endpoints = new ArrayList<>(List.of(
                new Endpoint(CHAT_PATH, new RelayServlet(config)),
                new Endpoint(InfoServlet.HEALTH_PATH, info),
                new Endpoint(InfoServlet.INFO_PATH, info),
                new Endpoint("/v1/*", new UnknownPathServlet())));
        if (config.simulated()) {
            endpoints.add(new Endpoint(SIMULATED_PATH,
                    new SimulatedUpstreamServlet(config.simulatedTokenDelay())));
        }
        return List.copyOf(endpoints);
    }
}
