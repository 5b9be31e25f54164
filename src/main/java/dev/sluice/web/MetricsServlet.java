package dev.sluice.web;

import dev.sluice.access.CallerAddress;
import dev.sluice.observe.Metrics;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** {@code GET /metrics} in Prometheus's text format; from this machine only, unless configured. */
final class MetricsServlet extends HttpServlet {

    private final Metrics metrics;
    private final boolean anyone;
    private final CallerAddress callers;

    MetricsServlet(Metrics metrics, boolean anyone, CallerAddress callers) {
        this.metrics = metrics;
        this.anyone = anyone;
        this.callers = callers;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        if (!anyone && !callers.local(request)) {
            response.setStatus(403);
            response.setContentType("application/json");
            response.getWriter().write("{\"error\":{\"message\":\"metrics are served to this "
                    + "machine only, not through a proxy (SLUICE_METRICS=anyone changes that)\","
                    + "\"type\":\"permission_error\",\"param\":null,\"code\":null}}");
            return;
        }
        byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
        response.setContentType("text/plain; version=0.0.4; charset=utf-8");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
