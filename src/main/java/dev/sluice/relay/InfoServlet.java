package dev.sluice.relay;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Config;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /healthz} (liveness) and {@code GET /sluice/info} (what the demo page needs to know:
 * whether its route, {@code /v1}, answers from the simulated upstream, and which model to ask
 * for). Neither says where an upstream is.
 */
final class InfoServlet extends HttpServlet {

    static final String HEALTH_PATH = "/healthz";
    static final String INFO_PATH = "/sluice/info";

    private final byte[] health = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
    private final byte[] info;

    InfoServlet(Config config) {
        this.info = new ObjectMapper().createObjectNode()
                .put("simulated", config.routes().stream()
                        .anyMatch(route -> route.prefix().equals("/v1") && route.simulated()))
                .put("model", config.demoModel())
                .toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        byte[] body = HEALTH_PATH.equals(request.getServletPath()) ? health : info;
        response.setContentType("application/json");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
