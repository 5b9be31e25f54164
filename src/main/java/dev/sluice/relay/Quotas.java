package dev.sluice.relay;

import dev.sluice.config.Client;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each caller has used: open streams, a token bucket of requests per minute, and tokens
 * today (UTC). In memory, so per Sluice instance; a shared store is the way to share them across
 * instances. Thread-safe.
 */
final class Quotas {

    /** A place taken in a caller's open streams; release it when the stream ends. */
    interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    private final Map<String, Usage> usage = new ConcurrentHashMap<>();

    /** Counts a new request against the caller's limits, or refuses it with 429. */
    Slot enter(Caller caller) throws Refusal {
        Client limits = caller.client();
        Usage u = usage.computeIfAbsent(caller.id(), id -> new Usage());
        synchronized (u) {
            long now = System.nanoTime();
            if (limits.dailyTokens() > 0) {
                u.rollDay();
                if (u.tokensToday >= limits.dailyTokens()) {
                    throw tooMuch("the daily budget of " + limits.dailyTokens() + " tokens is "
                            + "used up", secondsToMidnight());
                }
            }
            if (limits.maxStreams() > 0 && u.open >= limits.maxStreams()) {
                throw tooMuch(limits.maxStreams() + " streams are open already, the most this "
                        + "client may have at once", 1);
            }
            if (limits.requestsPerMinute() > 0) {
                double perNano = limits.requestsPerMinute() / 60e9;
                u.bucket = u.bucketAt == 0 ? limits.requestsPerMinute()
                        : Math.min(limits.requestsPerMinute(), u.bucket + (now - u.bucketAt) * perNano);
                u.bucketAt = now;
                if (u.bucket < 1) {
                    throw tooMuch("more than " + limits.requestsPerMinute() + " requests per "
                            + "minute", (long) Math.ceil((1 - u.bucket) / perNano / 1e9));
                }
                u.bucket -= 1;
            }
            u.open++;
        }
        return () -> {
            synchronized (u) {
                u.open--;
            }
        };
    }

    /** Adds a finished stream's tokens to the caller's day. */
    void spent(Caller caller, long tokens) {
        if (tokens <= 0 || caller.client().dailyTokens() == 0) {
            return;
        }
        Usage u = usage.computeIfAbsent(caller.id(), id -> new Usage());
        synchronized (u) {
            u.rollDay();
            u.tokensToday += tokens;
        }
    }

    private static long secondsToMidnight() {
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        return Math.max(1, Duration.between(now, now.toLocalDate().plusDays(1)
                .atStartOfDay(ZoneOffset.UTC)).toSeconds());
    }

    private static Refusal tooMuch(String why, long retryAfterSeconds) {
        return new Refusal(429, "rate_limit_error", why, Math.max(1, retryAfterSeconds));
    }

    /** One caller's counters, guarded by its own monitor. */
    private static final class Usage {
        int open;
        double bucket;
        long bucketAt;
        long tokensToday;
        LocalDate day = LocalDate.now(ZoneOffset.UTC);

        void rollDay() {
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            if (!today.equals(day)) {
                day = today;
                tokensToday = 0;
            }
        }
    }
}
