package dev.sluice.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How resumable streams are kept: their replay logs' retention and memory bound, the grace an
 * upstream keeps generating with nobody reading, and the key that signs stream URLs.
 *
 * @param retention how long a finished stream's log stays readable
 * @param memoryBytes the most bytes all replay logs in memory together may hold, with the
 *     events being gathered whole for any log (a sixteenth of it at most each), shared among
 *     the callers holding logs
 * @param grace how long an upstream goes on with no reader before it is cancelled
 * @param secret signs the URLs that {@code POST .../streams} hands out; null draws a random key
 *     at start-up, good for one instance only
 * @param maxEvents with Redis, about how many events each stream's log keeps (XADD MAXLEN ~)
 * @param poll with Redis, the longest a reader waits for a message on its stream's channel
 *     before it looks at the log again: its pace should a message be lost
 */
public record Resume(Duration retention, long memoryBytes, Duration grace, Secret secret,
        long maxEvents, Duration poll) {

    /** Events a stream's log in Redis keeps by default: far more than an answer has. */
    public static final long MAX_EVENTS = 100_000;
    public static final Duration POLL = Duration.ofSeconds(1);
    public static final Resume DEFAULTS = new Resume(Duration.ofMinutes(5), 64L << 20,
            Duration.ofSeconds(60), null);

    /** With the default bound on each log in Redis, and its readers' pace. */
    public Resume(Duration retention, long memoryBytes, Duration grace, Secret secret) {
        this(retention, memoryBytes, grace, secret, MAX_EVENTS);
    }

    /** With the default pace of readers of logs in Redis. */
    public Resume(Duration retention, long memoryBytes, Duration grace, Secret secret,
            long maxEvents) {
        this(retention, memoryBytes, grace, secret, maxEvents, POLL);
    }

    public Resume {
        Objects.requireNonNull(retention, "retention");
        Objects.requireNonNull(grace, "grace");
        Objects.requireNonNull(poll, "poll");
        if (retention.isNegative() || retention.isZero() || grace.isNegative()
                || grace.isZero()) {
            throw new IllegalArgumentException("retention and grace must be positive");
        }
        if (memoryBytes < 1024) {
            throw new IllegalArgumentException("the replay memory must be at least 1024 bytes");
        }
        if (poll.isNegative() || poll.isZero()) {
            throw new IllegalArgumentException("the poll of a log in Redis must be positive");
        }
        if (maxEvents < 10) {
            throw new IllegalArgumentException("a log in Redis must keep at least 10 events");
        }
    }
}
