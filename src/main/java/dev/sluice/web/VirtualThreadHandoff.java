package dev.sluice.web;

import dev.sluice.access.Refusal;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
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
        CountDownLatch served = new CountDownLatch(1);
        async.addListener(new HoldErrorsUntilServed(served));
        Map<String, String> logContext = MDC.getCopyOfContextMap();
        try {
            threads.execute(() -> run(async, served, request, response, logContext));
        } catch (RejectedExecutionException e) {
            served.countDown();
            Refusal.sendJson(response, 503, STOPPING);
            async.complete();
        }
    }

    private void run(AsyncContext async, CountDownLatch served, HttpServletRequest request,
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
                Refusal.takeBack(response);
                try {
                    Refusal.sendJson(response, 500, INTERNAL_ERROR);
                } catch (IOException gone) {
                    LOG.debug("client went away: {}", gone.toString());
                }
            }
        } finally {
            MDC.clear();
            served.countDown();
            try {
                async.complete();
            } catch (IllegalStateException e) {
                // The container has already ended the request, e.g. when the client left.
                LOG.debug("request already complete: {}", e.toString());
            }
        }
    }

    /**
     * When a write to a departed client fails, Tomcat ends the request on one of its own threads
     * and hands the response object to the next request as soon as the listeners return, while
     * the servlet's thread may still be inside that failed write: the next request on that
     * object then failed at its first flush (seen in about one run in three of the Tomcat tests,
     * never since). Holding the container in {@code onError} until the servlet has returned (or
     * for a few seconds, as a route that drains its upstream no longer touches the response)
     * keeps one request's response its own.
     */
    private record HoldErrorsUntilServed(CountDownLatch served) implements AsyncListener {

        private static final long LIMIT_SECONDS = 5;

        @Override
        public void onError(AsyncEvent event) {
            try {
                if (!served.await(LIMIT_SECONDS, TimeUnit.SECONDS)) {
                    LOG.debug("request still being served {} s after its error",
                            LIMIT_SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void onComplete(AsyncEvent event) {}

        @Override
        public void onTimeout(AsyncEvent event) {}

        @Override
        public void onStartAsync(AsyncEvent event) {}
    }

    @Override
    public void destroy() {
        // Streams in flight go on; the context's shutdown ends them after its grace period.
        threads.shutdown();
        servlet.destroy();
    }
}
