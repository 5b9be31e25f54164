package dev.sluice.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How long each phase of an upstream exchange may take, and how often a silent stream is kept
 * alive. All are positive.
 *
 * @param connect to open the connection to the upstream
 * @param response from sending the request to the upstream's response headers
 * @param firstEvent from the response headers to the first event (reasoning models think long)
 * @param idle between two events
 * @param stream the whole stream, start to end
 * @param heartbeat the silence after which the client gets a {@code : keep-alive} comment
 */
public record Timeouts(Duration connect, Duration response, Duration firstEvent, Duration idle,
        Duration stream, Duration heartbeat) {

    public static final Timeouts DEFAULTS = new Timeouts(Duration.ofSeconds(10),
            Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofSeconds(60),
            Duration.ofMinutes(15), Duration.ofSeconds(15));

    public Timeouts {
        for (Duration d : new Duration[] {connect, response, firstEvent, idle, stream, heartbeat}) {
            Objects.requireNonNull(d, "timeout");
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("timeouts must be positive: " + d);
            }
        }
    }
}
