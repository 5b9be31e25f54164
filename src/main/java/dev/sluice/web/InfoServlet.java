package dev.sluice.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Config;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * {@code GET /healthz} (liveness), {@code GET /readyz} (503 once stopping; says whether Redis
 * answers when limits are shared through it) and
 * {@code GET /sluice/info} (what the demo page needs to know:
 * whether its route, {@code /v1}, answers from the simulated upstream, and which model to ask
 * for). Neither says where an upstream is.
 */
final class InfoServlet extends HttpServlet {

    static final String HEALTH_PATH = "/healthz";
    static final String INFO_PATH = "/sluice/info";
    static final String READY_PATH = "/readyz";

    private final byte[] health = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
    private final byte[] stopping = "{\"status\":\"stopping\"}".getBytes(StandardCharsets.UTF_8);
    private final byte[] warming = "{\"status\":\"warming up\"}"
            .getBytes(StandardCharsets.UTF_8);
    private final byte[] info;
    private final byte[] readyShared = "{\"status\":\"ok\",\"redis\":\"ok\"}"
            .getBytes(StandardCharsets.UTF_8);
    /**
     * Still ready: every instance shares the one Redis, so failing readiness on it would take
     * them all out of the load balancer at once, while each can go on counting by itself.
     */
    private final byte[] readyAlone = "{\"status\":\"ok\",\"redis\":\"unavailable\"}"
            .getBytes(StandardCharsets.UTF_8);
    private final BooleanSupplier ready;
    private final BooleanSupplier warm;
    private final Supplier<String> sharingTrouble;

    /**
     * @param ready false once the server is shutting down
     * @param warm false while the server warms up (503, so a load balancer waits)
     * @param sharingTrouble why Redis cannot be used now, else null; null when not shared
     */
    InfoServlet(Config config, BooleanSupplier ready, BooleanSupplier warm,
            Supplier<String> sharingTrouble) {
        this.ready = ready;
        this.warm = warm;
        this.sharingTrouble = sharingTrouble;
        this.info = new ObjectMapper().createObjectNode()
                .put("simulated", config.routes().stream()
                        .anyMatch(route -> route.prefix().equals("/v1") && route.simulated()))
                .put("model", config.demoModel())
                .toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        byte[] body = switch (request.getServletPath()) {
            case HEALTH_PATH -> health;
            case READY_PATH -> !ready.getAsBoolean() ? stopping
                    : !warm.getAsBoolean() ? warming
                    : sharingTrouble == null ? health
                    : sharingTrouble.get() == null ? readyShared : readyAlone;
            default -> info;
        };
        if (body == stopping || body == warming) {
            response.setStatus(503);
        }
        response.setContentType("application/json");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
