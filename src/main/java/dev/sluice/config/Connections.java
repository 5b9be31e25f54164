package dev.sluice.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How many client connections the embedded server holds, and how slowly a client may send its
 * request before it is cut off: without these, one byte every few seconds holds a connection for
 * ever, since each byte restarts the idle timeout (slowloris).
 *
 * @param max connections open at once; beyond it new ones wait in the accept queue
 * @param minRequestRate bytes per second a request body must average over the time Sluice waits
 *     for it, once it has waited a second; 0 for none
 * @param headerTimeout the longest a request's headers may take from their first byte to their
 *     end
 */
public record Connections(int max, int minRequestRate, Duration headerTimeout) {

    /** Room for the benchmark's 8,000 held streams and more, each on its own connection. */
    public static final Connections DEFAULTS = new Connections(20_000, 1024,
            Duration.ofSeconds(20));

    public Connections {
        if (max < 1 || minRequestRate < 0) {
            throw new IllegalArgumentException("max >= 1 and minRequestRate >= 0");
        }
        Objects.requireNonNull(headerTimeout, "headerTimeout");
    }
}
