package dev.sluice.relay;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs a servlet on a virtual thread of its own when the container calls it on a platform thread,
 * so that a stream holds none of the container's workers for its life: the request becomes
 * asynchronous without a time limit, the servlet does its blocking I/O on the virtual thread and
 * the request completes when the servlet returns. On a virtual thread the servlet runs in place.
 */
final class VirtualThreadHandoff extends HttpServlet {

    private static final Logger LOG = LoggerFactory.getLogger(VirtualThreadHandoff.class);
    private static final byte[] INTERNAL_ERROR = ("{\"error\":{\"message\":\"internal error\","
            + "\"type\":\"server_error\"}}").getBytes(StandardCharsets.UTF_8);
    private static final byte[] STOPPING = ("{\"error\":{\"message\":\"Sluice is shutting down; "
            + "retry the request\",\"type\":\"server_shutting_down\"}}")
            .getBytes(StandardCharsets.UTF_8);

    private final HttpServlet servlet;
    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("sluice-request-", 0).factory());

    VirtualThreadHandoff(HttpServlet servlet) {
        this.servlet = servlet;
    }

    @Override
    public void init(ServletConfig config) throws ServletException {
        super.init(config);
        servlet.init(config);
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws IOException, ServletException {
        if (Thread.currentThread().isVirtual()) {
            servlet.service(request, response);
            return;
        }
        AsyncContext async = request.startAsync(request, response);
        async.setTimeout(0); // a stream may last as long as its own limits allow
        Map<String, String> logContext = MDC.getCopyOfContextMap();
        try {
            threads.execute(() -> run(async, request, response, logContext));
        } catch (RejectedExecutionException e) {
            Refusal.sendJson(response, 503, STOPPING);
            async.complete();
        }
    }

    private void run(AsyncContext async, HttpServletRequest request,
            HttpServletResponse response, Map<String, String> logContext) {
        if (logContext != null) {
            MDC.setContextMap(logContext);
        }
        try {
            servlet.service(request, response);
        } catch (IOException e) {
            LOG.debug("client went away: {}", e.toString());
        } catch (Exception e) {
            LOG.error("request failed", e);
            if (!response.isCommitted()) {
                response.reset();
                try {
                    Refusal.sendJson(response, 500, INTERNAL_ERROR);
                } catch (IOException gone) {
                    LOG.debug("client went away: {}", gone.toString());
                }
            }
        } finally {
            MDC.clear();
            try {
                async.complete();
            } catch (IllegalStateException e) {
                // The container has already ended the request, e.g. when the client left.
                LOG.debug("request already complete: {}", e.toString());
            }
        }
    }

    @Override
    public void destroy() {
        // Streams in flight go on; the context's shutdown ends them after its grace period.
        threads.shutdown();
        servlet.destroy();
    }
}
