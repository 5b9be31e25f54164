package dev.sluice.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How resumable streams are kept: their replay logs' retention and memory bound, the grace an
 * upstream keeps generating with nobody reading, and the key that signs stream URLs.
 *
 * @param retention how long a finished stream's log stays readable
 * @param memoryBytes the most bytes all replay logs together may hold
 * @param grace how long an upstream goes on with no reader before it is cancelled
 * @param secret signs the URLs that {@code POST .../streams} hands out; null draws a random key
 *     at start-up, good for one instance only
 */
public record Resume(Duration retention, long memoryBytes, Duration grace, Secret secret) {

    public static final Resume DEFAULTS = new Resume(Duration.ofMinutes(5), 64L << 20,
            Duration.ofSeconds(60), null);

    public Resume {
        Objects.requireNonNull(retention, "retention");
        Objects.requireNonNull(grace, "grace");
        if (retention.isNegative() || retention.isZero() || grace.isNegative()
                || grace.isZero()) {
            throw new IllegalArgumentException("retention and grace must be positive");
        }
        if (memoryBytes < 1024) {
            throw new IllegalArgumentException("the replay memory must be at least 1024 bytes");
        }
    }
}
