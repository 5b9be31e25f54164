package dev.sluice.chain;

import dev.sluice.config.Secret;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One key of a route's pool and what its provider last said of it: resting until a time after
 * a 429 or a spent limit, or out of service after a 401 or 403. Thread-safe.
 */
public final class PoolKey {

    private final Secret secret;
    private final String fingerprint;
    private final int position;
    /** Epoch milliseconds before which the key is not used; shared instances compare these. */
    private final AtomicLong restsUntil = new AtomicLong();
    private final AtomicBoolean out = new AtomicBoolean();

    PoolKey(Secret secret, int position) {
        this.secret = secret;
        this.fingerprint = secret.fingerprint();
        this.position = position;
    }

    Secret secret() {
        return secret;
    }

    /** The key's short hash, as logs and metrics name it. */
    public String fingerprint() {
        return fingerprint;
    }

    /** Where the key stands in its variable's list, from 1. */
    int position() {
        return position;
    }

    boolean usable(long now) {
        return now >= restsUntil.get() && !out.get();
    }

    boolean resting(long now) {
        return now < restsUntil.get();
    }

    boolean out() {
        return out.get();
    }

    long restsUntil() {
        return restsUntil.get();
    }

    /**
     * Makes the key rest until {@code until} unless it rests longer already.
     *
     * @return the milliseconds of rest this added, 0 when it added none
     */
    long restUntil(long until, long now) {
        while (true) {
            long was = restsUntil.get();
            if (until <= was) {
                return 0;
            }
            if (restsUntil.compareAndSet(was, until)) {
                return until - Math.max(was, now);
            }
        }
    }

    /** @return true for the call that took it out, false when it was out already */
    boolean takeOut() {
        return out.compareAndSet(false, true);
    }

    @Override
    public String toString() {
        return fingerprint;
    }
}
