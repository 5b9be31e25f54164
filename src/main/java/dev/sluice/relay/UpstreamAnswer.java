package dev.sluice.relay;

import dev.sluice.config.Config;
import dev.sluice.dialect.Dialect;
import dev.sluice.observe.Redaction;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpHeaders;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What of a route's upstream answers reaches its clients before any stream: the headers worth
 * passing on, scrubbed, and an error status's body read and scrubbed (or replaced by one that
 * says why it could not be). Thread-safe.
 */
final class UpstreamAnswer {

    /** Upstream headers worth passing on; never hop-by-hop, length, encoding or account headers. */
    private static final List<String> FORWARDED_HEADERS = List.of(
            "request-id", "openai-processing-ms", "openai-version", "retry-after");
    private static final Pattern RETRY_SECONDS = Pattern.compile("[0-9]{1,10}");
    private static final int MAX_ERROR_BYTES = 64 * 1024;

    private final Dialect dialect;
    private final Config config;
    private final Watchdog watchdog;
    private final Redaction redaction;

    UpstreamAnswer(Dialect dialect, Config config, Watchdog watchdog, Redaction redaction) {
        this.dialect = dialect;
        this.config = config;
        this.watchdog = watchdog;
        this.redaction = redaction;
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

    /** A fallback's headers in place of those an earlier upstream's answer had set. */
    void replaceHeaders(HttpHeaders headers, HttpServletResponse response) {
        for (String name : FORWARDED_HEADERS) {
            response.setHeader(name, null);
        }
        response.setHeader("X-Upstream-Request-Id", null);
        forwardHeaders(headers, response);
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
}
