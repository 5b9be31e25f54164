package dev.sluice.access;

import dev.sluice.dialect.Dialect;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseWriter;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A request answered with an HTTP error before any stream starts: a status and a JSON error body
 * in the dialect's shape that says what was wrong.
 */
public final class Refusal extends Exception {

    /** Headers about an answer's body, which an error in its place must not inherit. */
    private static final Set<String> BODY_HEADERS = Set.of("content-type", "content-length",
            "content-encoding", "content-language", "content-disposition", "transfer-encoding",
            "cache-control", "x-accel-buffering", "etag", "last-modified");

    private final int status;
    private final String type;
    private final long retryAfterSeconds;

    public Refusal(int status, String type, String message) {
        this(status, type, message, 0);
    }

    /** @param retryAfterSeconds sent as {@code Retry-After} when positive */
    public Refusal(int status, String type, String message, long retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    /**
     * Sends the refusal, or, when the response is already committed as an event stream (a
     * queued request's notes began it), ends that stream with it in-band.
     */
    public void send(HttpServletResponse response, Dialect dialect) throws IOException {
        if (response.isCommitted()) {
            sendInBand(response, dialect, getMessage(), type);
            return;
        }
        if (retryAfterSeconds > 0) {
            response.setHeader("Retry-After", Long.toString(retryAfterSeconds));
        }
        sendJson(response, status, dialect.errorBody(status, getMessage(), type));
    }

    /**
     * Takes back an answer that was begun but not committed (its status, its body so far and the
     * headers that describe that body), keeping those that describe the exchange: the request's
     * id, CORS and security headers, the upstream's ids. A bare {@code reset()} drops them all,
     * and a browser then sees an opaque CORS failure instead of the error that follows.
     */
    public static void takeBack(HttpServletResponse response) {
        Map<String, List<String>> kept = new LinkedHashMap<>();
        for (String name : response.getHeaderNames()) {
            if (!BODY_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                kept.put(name, List.copyOf(response.getHeaders(name)));
            }
        }
        response.reset();
        kept.forEach((name, values) -> values.forEach(value -> response.addHeader(name, value)));
    }

    /** Ends a committed event stream with the dialect's error events. */
    public static void sendInBand(HttpServletResponse response, Dialect dialect, String message,
            String type) throws IOException {
        SseWriter writer = new SseWriter(response.getOutputStream());
        for (SseEvent event : dialect.errorEvents(message, type)) {
            writer.write(event);
        }
        writer.flush();
    }

    public static void sendJson(HttpServletResponse response, int status, byte[] body)
            throws IOException {
        response.setStatus(status);
        if (status == 401) {
            response.setHeader("WWW-Authenticate", "Bearer"); // RFC 9110: a 401 names a scheme
        }
        response.setContentType("application/json");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
