package dev.sluice.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Retrying an upstream that failed before sending anything: at most {@code attempts} more tries,
 * waiting with exponential backoff and jitter from {@code backoff}, or as long as the upstream's
 * {@code Retry-After} asks when that is no longer than {@code maxWait}; and skipping one that
 * failed {@code trips} calls in a row for {@code coolDown}, after which one request tries it;
 * and when every key of a chain rests, waiting in the route's queue as {@code queue} says.
 */
public record Retries(int attempts, Duration backoff, Duration maxWait, int trips,
        Duration coolDown, Queueing queue) {

    public static final Retries DEFAULTS = new Retries(2, Duration.ofMillis(250),
            Duration.ofSeconds(10), 3, Duration.ofSeconds(10), Queueing.DEFAULTS);

    public Retries {
        if (attempts < 0 || trips < 1) {
            throw new IllegalArgumentException("attempts must not be negative (" + attempts
                    + "), trips at least 1 (" + trips + ")");
        }
        if (coolDown.isNegative()) {
            throw new IllegalArgumentException("a cool-down must not be negative");
        }
        if (backoff.isNegative() || maxWait.isNegative()) {
            throw new IllegalArgumentException("waits must not be negative");
        }
        Objects.requireNonNull(queue, "queue");
    }

    /** With the default queue. */
    public Retries(int attempts, Duration backoff, Duration maxWait, int trips,
            Duration coolDown) {
        this(attempts, backoff, maxWait, trips, coolDown, Queueing.DEFAULTS);
    }

    /** With the default health bounds and queue. */
    public Retries(int attempts, Duration backoff, Duration maxWait) {
        this(attempts, backoff, maxWait, DEFAULTS.trips(), DEFAULTS.coolDown());
    }

    /** The same with requests queued as {@code how} says. */
    public Retries queue(Queueing how) {
        return new Retries(attempts, backoff, maxWait, trips, coolDown, how);
    }
}
