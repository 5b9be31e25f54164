package dev.sluice.relay;

import dev.sluice.access.Refusal;
import dev.sluice.config.Config;
import dev.sluice.config.Route;
import dev.sluice.dialect.Dialect;
import dev.sluice.observe.Metrics;
import dev.sluice.observe.Redaction;
import dev.sluice.upstream.Upstream;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One route's calls to its upstream: opened with the route's retries, answered headers passed on
 * scrubbed, and an error status's body read and scrubbed (or replaced by one that says why it
 * could not be). Thread-safe.
 */
final class UpstreamCall {

    /** The relay's log: these lines are part of a request's story, as RelayServlet tells it. */
    private static final Logger LOG = LoggerFactory.getLogger(RelayServlet.class);
    /** Upstream headers worth passing on; never hop-by-hop, length, encoding or account headers. */
    private static final List<String> FORWARDED_HEADERS = List.of(
            "request-id", "openai-processing-ms", "openai-version", "retry-after");
    private static final Pattern RETRY_SECONDS = Pattern.compile("[0-9]{1,10}");
    private static final int MAX_ERROR_BYTES = 64 * 1024;

    private final Route route;
    private final Dialect dialect;
    private final Config config;
    private final Upstream upstream;
    private final Retry retry;
    private final Watchdog watchdog;
    private final Redaction redaction;
    private final Metrics metrics;

    UpstreamCall(Route route, Dialect dialect, Config config, Upstream upstream, Retry retry,
            Watchdog watchdog, Redaction redaction, Metrics metrics) {
        this.route = route;
        this.dialect = dialect;
        this.config = config;
        this.upstream = upstream;
        this.retry = retry;
        this.watchdog = watchdog;
        this.redaction = redaction;
        this.metrics = metrics;
    }

    /**
     * The upstream headers worth passing on, scrubbed like its error bodies (a provider may echo
     * anything in them); a {@code Retry-After} that is neither seconds nor an HTTP date is dropped.
     */
    void forwardHeaders(HttpHeaders headers, HttpServletResponse response) {
        for (String name : FORWARDED_HEADERS) {
            headers.firstValue(name).map(redaction::scrub)
                    .filter(value -> !"retry-after".equals(name) || isRetryAfter(value))
                    .ifPresent(value -> response.setHeader(name, value));
        }
        // The provider's own id, for its support desk; X-Request-Id is Sluice's.
        headers.firstValue("x-request-id").map(redaction::scrub)
                .ifPresent(value -> response.setHeader("X-Upstream-Request-Id", value));
    }

    /** RFC 9110 section 10.2.3: delay-seconds or an HTTP-date. */
    private static boolean isRetryAfter(String value) {
        if (RETRY_SECONDS.matcher(value).matches()) {
            return true;
        }
        try {
            DateTimeFormatter.RFC_1123_DATE_TIME.parse(value);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /**
     * The body for an upstream's error status: its own, scrubbed, or, when it cannot be read (an
     * encoding that does not decode, a connection that breaks, a body that stalls past the time
     * limits of an answer), one that says so.
     */
    byte[] errorBody(int status, InputStream body, String encoding) {
        try (Watch watch = watchdog.watch(null, body)) {
            try {
                byte[] error = Decoding.of(body, encoding).readNBytes(MAX_ERROR_BYTES);
                return dialect.upstreamErrorBody(status, error, redaction::scrub);
            } catch (IOException e) {
                Watch.Expiry why = watch.expiry();
                String detail = why != null ? why.message(config.timeouts())
                        : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                return dialect.errorBody(status, "upstream answered HTTP " + status + " with an "
                        + "error body that could not be read: " + redaction.scrub(detail),
                        "upstream_error");
            }
        }
    }

    /** Calls the upstream, retrying what failed before any byte of an answer. */
    HttpResponse<InputStream> open(URI target, Map<String, String> headers,
            ClientRequest sent) throws Refusal {
        for (int attempt = 0; ; attempt++) {
            Duration wait;
            try {
                HttpResponse<InputStream> answer = upstream.send(target, headers,
                        sent.body(), sent.stream(), config.timeouts().response());
                metrics.upstreamAnswered(route.name(), answer.statusCode());
                wait = retry.after(attempt, answer);
                if (wait == null) {
                    return answer;
                }
                metrics.retried(route.name());
                answer.body().close();
                LOG.info("{} upstream answered {}; retrying in {} ms", route.name(),
                        answer.statusCode(), wait.toMillis());
            } catch (HttpConnectTimeoutException | ConnectException e) {
                wait = retry.afterConnectFailure(attempt);
                if (wait == null) {
                    throw unreachable(e);
                }
                metrics.retried(route.name());
                LOG.info("{} upstream unreachable; retrying in {} ms", route.name(),
                        wait.toMillis());
            } catch (HttpTimeoutException e) {
                throw new Refusal(504, "upstream_timeout", "upstream sent no response headers "
                        + "within " + config.timeouts().response().toMillis() + " ms");
            } catch (IOException e) {
                throw new Refusal(502, "upstream_unreachable", "upstream request failed: "
                        + redaction.scrub(String.valueOf(e.getMessage())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Refusal(503, "server_shutting_down", "request interrupted");
            }
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Refusal(503, "server_shutting_down", "request interrupted");
            }
        }
    }

    private Refusal unreachable(IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            return new Refusal(504, "upstream_timeout", "upstream did not accept the connection in "
                    + config.timeouts().connect().toMillis() + " ms");
        }
        return new Refusal(502, "upstream_unreachable", "upstream refused the connection");
    }
}
