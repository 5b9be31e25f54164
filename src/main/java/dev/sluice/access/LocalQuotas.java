package dev.sluice.access;

import dev.sluice.config.Client;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * What each caller has used: open streams, a token bucket of requests per minute, and tokens
 * today (UTC). In memory, so per Sluice instance; {@link SharedQuotas} shares them across
 * instances through Redis. A caller is forgotten once it has had nothing open for a minute and
 * spent nothing today, when its counters are those of a new caller anyway: callers named by
 * address or token subject would otherwise pile up for as long as Sluice runs. Thread-safe.
 */
public final class LocalQuotas implements Quotas {

    /** A minute: a request bucket left alone that long is full again, as a new caller's is. */
    private static final long IDLE_NANOS = 60_000_000_000L;

    private final Map<String, Usage> usage = new ConcurrentHashMap<>();
    private final LongSupplier nanoTime;
    private final AtomicLong lastSweep;

    public LocalQuotas() {
        this(System::nanoTime);
    }

    /** @param nanoTime the clock, {@link System#nanoTime()} but in tests */
    public LocalQuotas(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.lastSweep = new AtomicLong(nanoTime.getAsLong());
    }

    @Override
    public Slot enter(Caller caller) throws Refusal {
        Client limits = caller.client();
        long now = nanoTime.getAsLong();
        forgetIdleCallers(now);
        while (true) {
            Usage u = usage.computeIfAbsent(caller.id(), id -> new Usage(now));
            synchronized (u) {
                if (u.retired) {
                    continue; // swept between the lookup and the lock: look again
                }
                if (limits.dailyTokens() > 0) {
                    u.rollDay();
                    if (u.tokensToday >= limits.dailyTokens()) {
                        throw budgetUsedUp(limits, secondsToMidnight());
                    }
                }
                if (limits.maxStreams() > 0 && u.open >= limits.maxStreams()) {
                    throw streamsAllOpen(caller);
                }
                if (limits.requestsPerMinute() > 0) {
                    double perNano = limits.requestsPerMinute() / 60e9;
                    u.bucket = u.bucketAt == 0 ? limits.requestsPerMinute() : Math.min(
                            limits.requestsPerMinute(), u.bucket + (now - u.bucketAt) * perNano);
                    u.bucketAt = now;
                    if (u.bucket < 1) {
                        throw tooManyRequests(caller,
                                (long) Math.ceil((1 - u.bucket) / perNano / 1e9));
                    }
                    u.bucket -= 1;
                }
                u.open++;
                u.lastUsed = now;
                return () -> {
                    synchronized (u) {
                        u.open--;
                        u.lastUsed = nanoTime.getAsLong();
                    }
                };
            }
        }
    }

    @Override
    public void spent(Caller caller, long tokens) {
        if (tokens <= 0 || caller.client().dailyTokens() == 0) {
            return;
        }
        long now = nanoTime.getAsLong();
        while (true) {
            Usage u = usage.computeIfAbsent(caller.id(), id -> new Usage(now));
            synchronized (u) {
                if (u.retired) {
                    continue;
                }
                u.rollDay();
                u.tokensToday += tokens;
                return;
            }
        }
    }

    /** How many callers are remembered. */
    int callers() {
        return usage.size();
    }

    /** At most once a minute, on the thread that notices: the sweep is over the whole map. */
    private void forgetIdleCallers(long now) {
        long last = lastSweep.get();
        if (now - last < IDLE_NANOS || !lastSweep.compareAndSet(last, now)) {
            return;
        }
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        usage.values().removeIf(u -> {
            synchronized (u) {
                u.retired = u.open == 0 && now - u.lastUsed >= IDLE_NANOS
                        && (u.tokensToday == 0 || !u.day.equals(today));
                return u.retired;
            }
        });
    }

    private static long secondsToMidnight() {
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        return Math.max(1, Duration.between(now, now.toLocalDate().plusDays(1)
                .atStartOfDay(ZoneOffset.UTC)).toSeconds());
    }

    static Refusal budgetUsedUp(Client limits, long retryAfterSeconds) {
        return tooMuch("the daily budget of " + limits.dailyTokens() + " tokens is used up",
                retryAfterSeconds);
    }

    static Refusal streamsAllOpen(Caller caller) {
        Client limits = caller.client();
        if (caller.reads()) {
            return tooMuch((limits.maxStreams() == 1 ? "1 stream is"
                    : limits.maxStreams() + " streams are") + " being read already (GET "
                    + "<prefix>/streams/{id}), the most one caller may read at once "
                    + "(SLUICE_MAX_READERS)", 1);
        }
        return tooMuch(limits.maxStreams() + " streams are open already, the most this client "
                + "may have at once", 1);
    }

    static Refusal tooManyRequests(Caller caller, long retryAfterSeconds) {
        Client limits = caller.client();
        if (caller.reads()) {
            return tooMuch("more than " + limits.requestsPerMinute() + " resumes and stops per "
                    + "minute (GET and DELETE <prefix>/streams/{id} have a bucket of their own, "
                    + "as large as the client's requests-per-minute)", retryAfterSeconds);
        }
        return tooMuch("more than " + limits.requestsPerMinute() + " requests per minute",
                retryAfterSeconds);
    }

    private static Refusal tooMuch(String why, long retryAfterSeconds) {
        return new Refusal(429, "rate_limit_error", why, Math.max(1, retryAfterSeconds));
    }

    /** One caller's counters, guarded by its own monitor. */
    private static final class Usage {
        boolean retired; // swept out of the map: no longer counts
        long lastUsed;
        int open;
        double bucket;
        long bucketAt;
        long tokensToday;
        LocalDate day = LocalDate.now(ZoneOffset.UTC);

        Usage(long now) {
            lastUsed = now;
        }

        void rollDay() {
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            if (!today.equals(day)) {
                day = today;
                tokensToday = 0;
            }
        }
    }
}
