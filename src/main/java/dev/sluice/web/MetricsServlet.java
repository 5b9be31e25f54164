package dev.sluice.web;

import dev.sluice.access.CallerAddress;
import dev.sluice.access.LocalHosts;
import dev.sluice.access.Refusal;
import dev.sluice.dialect.Dialects;
import dev.sluice.observe.Metrics;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /metrics} in Prometheus's text format; from this machine only, by one of its own
 * names, unless configured.
 */
final class MetricsServlet extends HttpServlet {

    private final Metrics metrics;
    private final boolean anyone;
    private final CallerAddress callers;
    private final LocalHosts hosts;

    MetricsServlet(Metrics metrics, boolean anyone, CallerAddress callers, LocalHosts hosts) {
        this.metrics = metrics;
        this.anyone = anyone;
        this.callers = callers;
        this.hosts = hosts;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        if (!anyone && !callers.local(request)) {
            refuse(response, "metrics are served to this machine only, not through a proxy "
                    + "(SLUICE_METRICS=anyone changes that)");
            return;
        }
        String refusal = anyone ? null : hosts.refusal(request);
        if (refusal != null) {
            refuse(response, "metrics are served to this machine only: " + refusal
                    + " (or SLUICE_METRICS=anyone serves them to anyone)");
            return;
        }
        byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
        response.setContentType("text/plain; version=0.0.4; charset=utf-8");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    private static void refuse(HttpServletResponse response, String message) throws IOException {
        new Refusal(403, "permission_error", message).send(response, Dialects.of("openai-chat"));
    }
}
