package dev.sluice.access;

import dev.sluice.dialect.Dialect;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * A request answered with an HTTP error before any stream starts: a status and a JSON error body
 * in the dialect's shape that says what was wrong.
 */
public final class Refusal extends Exception {

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

    public void send(HttpServletResponse response, Dialect dialect) throws IOException {
        if (retryAfterSeconds > 0) {
            response.setHeader("Retry-After", Long.toString(retryAfterSeconds));
        }
        sendJson(response, status, dialect.errorBody(status, getMessage(), type));
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
