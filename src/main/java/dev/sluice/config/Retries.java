package dev.sluice.config;

import java.time.Duration;

/**
 * Retrying an upstream that failed before sending anything: at most {@code attempts} more tries,
 * waiting with exponential backoff and jitter from {@code backoff}, or as long as the upstream's
 * {@code Retry-After} asks when that is no longer than {@code maxWait}.
 */
public record Retries(int attempts, Duration backoff, Duration maxWait) {

    public static final Retries DEFAULTS = new Retries(2, Duration.ofMillis(250),
            Duration.ofSeconds(10));

    public Retries {
        if (attempts < 0) {
            throw new IllegalArgumentException("attempts must not be negative: " + attempts);
        }
        if (backoff.isNegative() || maxWait.isNegative()) {
            throw new IllegalArgumentException("waits must not be negative");
        }
    }
}
