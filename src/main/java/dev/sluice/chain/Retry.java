package dev.sluice.chain;

import dev.sluice.config.Queueing;
import dev.sluice.config.Retries;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When to try an upstream again: only after failures that sent nothing (no connection, or a
 * status that says "not now"), with exponential backoff and full jitter, or after the upstream's
 * own {@code Retry-After} when that is within bounds. Never once a byte has reached the client:
 * the caller asks only before it relays anything.
 */
public final class Retry {

    private static final Set<Integer> RETRYABLE = Set.of(429, 502, 503, 504);

    private final Retries retries;

    public Retry(Retries retries) {
        this.retries = retries;
    }

    /** The wait before the next attempt after {@code answer}, or null to relay the answer. */
    Duration after(int attempt, HttpResponse<InputStream> answer) {
        if (attempt >= retries.attempts() || !RETRYABLE.contains(answer.statusCode())) {
            return null;
        }
        Duration asked = RateLimits.retryAfter(answer.headers());
        if (asked != null) {
            // An upstream that asks for longer than we may wait: the client sees its answer
            // (with Retry-After) and decides itself.
            return asked.compareTo(retries.maxWait()) <= 0 ? asked : null;
        }
        return backoff(attempt);
    }

    /** The retries a request may have after its first attempt. */
    int attempts() {
        return retries.attempts();
    }

    /** How requests wait in a route's queue when every key rests. */
    Queueing queue() {
        return retries.queue();
    }

    /** The wait before the next attempt after a failed connection, or null to give up. */
    Duration afterConnectFailure(int attempt) {
        return attempt >= retries.attempts() ? null : backoff(attempt);
    }

    /** Exponential backoff with full jitter: the wait before attempt {@code attempt + 1}. */
    Duration backoff(int attempt) {
        long ceiling = Math.min(retries.maxWait().toMillis(),
                retries.backoff().toMillis() << Math.min(attempt, 20));
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1));
    }
}
