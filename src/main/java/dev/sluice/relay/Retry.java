package dev.sluice.relay;

import dev.sluice.config.Retries;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
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
        Optional<Duration> asked = retryAfter(answer);
        if (asked.isPresent()) {
            // An upstream that asks for longer than we may wait: the client sees its answer
            // (with Retry-After) and decides itself.
            return asked.get().compareTo(retries.maxWait()) <= 0 ? asked.get() : null;
        }
        return backoff(attempt);
    }

    /** The wait before the next attempt after a failed connection, or null to give up. */
    Duration afterConnectFailure(int attempt) {
        return attempt >= retries.attempts() ? null : backoff(attempt);
    }

    private Duration backoff(int attempt) {
        long ceiling = Math.min(retries.maxWait().toMillis(),
                retries.backoff().toMillis() << Math.min(attempt, 20));
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1));
    }

    /** {@code retry-after-ms} (OpenAI's), else {@code Retry-After} in seconds or as a date. */
    private static Optional<Duration> retryAfter(HttpResponse<?> answer) {
        try {
            Optional<String> millis = answer.headers().firstValue("retry-after-ms");
            if (millis.isPresent()) {
                long ms = Long.parseLong(millis.get().strip());
                return Optional.of(Duration.ofMillis(Math.max(0, ms)));
            }
            Optional<String> value = answer.headers().firstValue("retry-after");
            if (value.isEmpty()) {
                return Optional.empty();
            }
            String v = value.get().strip();
            if (v.chars().allMatch(Character::isDigit)) {
                return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
            }
            ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
            Duration until = Duration.between(ZonedDateTime.now(at.getZone()), at);
            return Optional.of(until.isNegative() ? Duration.ZERO : until);
        } catch (NumberFormatException | DateTimeParseException e) {
            return Optional.empty(); // a value we cannot read is as good as none
        }
    }
}
