package dev.sluice.config;

import java.time.Duration;

/**
 * How requests wait for a route whose chain has no room (every key of its last route resting):
 * at most {@code maxWait}, at most {@code perCaller} of one caller's at a time, at most
 * {@code length} in all.
 */
public record Queueing(Duration maxWait, int length, int perCaller) {

    public static final Queueing DEFAULTS = new Queueing(Duration.ofSeconds(30), 256, 1);

    public Queueing {
        if (maxWait.isNegative() || length < 0 || perCaller < 1) {
            throw new IllegalArgumentException("a queue wait and length must not be negative, "
                    + "and a caller may queue at least one request");
        }
    }
}
