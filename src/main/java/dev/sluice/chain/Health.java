package dev.sluice.chain;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a route's upstream is worth a call now: after {@code trips} failures in a row (no
 * connection, no answer in time, a 5xx) it is skipped for a cool-down, then one request tries it
 * (half-open) while the others still skip it, and that one's outcome closes or reopens it. So an
 * outage costs one failed call per cool-down, not one per request. With Redis, a trip is told to
 * the other instances, which skip the upstream too and try it after the same cool-down, one
 * request each. Thread-safe.
 */
final class Health {

    private static final Logger LOG = LoggerFactory.getLogger(Health.class);

    private final String route;
    private final int trips;
    private final long coolDownMillis;
    private final AtomicInteger failures = new AtomicInteger();
    /** Epoch milliseconds the upstream is skipped until; 0 while it is healthy. */
    private final AtomicLong skippedUntil = new AtomicLong();
    private final AtomicBoolean trying = new AtomicBoolean();
    private volatile ChainNews news = ChainNews.NONE;

    Health(String route, int trips, long coolDownMillis) {
        this.route = route;
        this.trips = trips;
        this.coolDownMillis = coolDownMillis;
    }

    String route() {
        return route;
    }

    /** From now on, trips are told to {@code news}. */
    void tell(ChainNews news) {
        this.news = news;
    }

    /** Whether the upstream is skipped now, for the metrics. */
    boolean skipped() {
        return skippedFor() > 0;
    }

    /**
     * Another instance found the upstream failing and skips it until {@code until}: so does
     * this one, unless it already skips it longer.
     */
    void skippedElsewhere(long until) {
        long now = System.currentTimeMillis();
        long current = skippedUntil.get();
        if (until > now && until > current && skippedUntil.compareAndSet(current, until)
                && current == 0) {
            LOG.warn("route {}: another instance found the upstream failing; skipped for {} ms, "
                    + "then tried by one request", route, until - now);
        }
    }

    /** Whether this request may call the upstream; a true after a cool-down is the one try. */
    boolean admits() {
        long until = skippedUntil.get();
        if (until == 0) {
            return true;
        }
        return System.currentTimeMillis() >= until && trying.compareAndSet(false, true);
    }

    /** Milliseconds until the upstream may be tried again; 0 when it may be now. */
    long skippedFor() {
        long until = skippedUntil.get();
        return until == 0 ? 0 : Math.max(0, until - System.currentTimeMillis());
    }

    /**
     * The upstream answered (anything but a 5xx).
     *
     * @param stream a stream began: it counts as a success only once content comes
     *     ({@link #began}), as it may still give out before any
     */
    void answered(boolean stream) {
        if (!stream) {
            began();
        }
        if (skippedUntil.getAndSet(0) != 0) {
            trying.set(false);
            LOG.info("route {}: the upstream answers again; no longer skipped", route);
        }
    }

    /** A stream of the upstream's brought content: the failures in a row are over. */
    void began() {
        if (failures.get() != 0) {
            failures.set(0); // written only when it changes: every request passes here
        }
    }

    /** An admitted request made no call after all (no usable key): another may try. */
    void released() {
        trying.set(false);
    }

    /** The upstream failed a call. */
    void failed(String why) {
        if (skippedUntil.get() != 0) {
            // The one try failed: skip again for a whole cool-down.
            long until = System.currentTimeMillis() + coolDownMillis;
            skippedUntil.set(until);
            trying.set(false);
            news.skips(route, until);
            return;
        }
        long until = System.currentTimeMillis() + coolDownMillis;
        if (failures.incrementAndGet() >= trips && skippedUntil.compareAndSet(0, until)) {
            LOG.warn("route {}: the upstream failed {} times in a row ({}); skipped for {} ms, "
                    + "then tried by one request", route, trips, why, coolDownMillis);
            news.skips(route, until);
        }
    }
}
