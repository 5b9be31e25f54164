package dev.sluice.access;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Set;

/**
 * Lets pages from the configured origins call Sluice from a browser. A preflight is answered
 * here, before authentication (browsers send no credentials with it); other requests get the
 * headers before anything is written. Only listed origins are echoed, never {@code *}.
 */
public final class Cors extends HttpFilter {

    /** What the official SDKs and the demo page send. */
    private static final String ALLOWED_HEADERS = "Authorization, Content-Type, Accept, "
            + "OpenAI-Beta, OpenAI-Organization, OpenAI-Project, anthropic-version, "
            + "anthropic-beta, anthropic-dangerous-direct-browser-access, x-api-key, "
            + "X-Stainless-Lang, X-Stainless-Package-Version, X-Stainless-OS, X-Stainless-Arch, "
            + "X-Stainless-Runtime, X-Stainless-Runtime-Version, X-Stainless-Retry-Count, "
            + "X-Stainless-Timeout, X-Stainless-Helper-Method, X-Stainless-Async, "
            + "Last-Event-ID, X-Sluice-Resumable";
    private static final String EXPOSED_HEADERS = "X-Request-Id, X-Upstream-Request-Id, "
            + "request-id, Retry-After, openai-processing-ms, X-Sluice-Stream-Id";

    private final Set<String> origins;

    public Cors(Set<String> origins) {
        this.origins = Set.copyOf(origins);
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response,
            FilterChain chain) throws IOException, ServletException {
        String origin = request.getHeader("Origin");
        boolean allowed = origin != null && origins.contains(origin);
        if (allowed) {
            response.setHeader("Access-Control-Allow-Origin", origin);
            response.addHeader("Vary", "Origin");
        }
        if ("OPTIONS".equals(request.getMethod())
                && request.getHeader("Access-Control-Request-Method") != null) {
            if (allowed) {
                response.setHeader("Access-Control-Allow-Methods", "POST, GET, DELETE, OPTIONS");
                response.setHeader("Access-Control-Allow-Headers", ALLOWED_HEADERS);
                response.setHeader("Access-Control-Max-Age", "600");
            }
            response.setStatus(allowed ? 204 : 403);
            return;
        }
        if (allowed) {
            response.setHeader("Access-Control-Expose-Headers", EXPOSED_HEADERS);
        }
        chain.doFilter(request, response);
    }
}
