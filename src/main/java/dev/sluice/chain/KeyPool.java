package dev.sluice.chain;

import dev.sluice.config.Secret;
import dev.sluice.observe.Metrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A route's keys and their turns. Requests take the usable keys in turn (round robin): the keys
 * of a pool are meant to be alike, and one that its provider throttles more rests more, so the
 * provider's own answers weigh the pool without a weight to configure. A key's rest or removal
 * never touches another key. Thread-safe; a pick is a few reads, once per upstream attempt.
 */
public final class KeyPool {

    private static final Logger LOG = LoggerFactory.getLogger(KeyPool.class);

    private final String route;
    /** Replaced whole by a reload; a pick reads it once. */
    private volatile List<PoolKey> keys;
    private final Metrics metrics;
    private final AtomicInteger turn = new AtomicInteger();
    /** Told of every change this instance sees, to share it; never null. */
    private volatile ChainNews news = ChainNews.NONE;

    public KeyPool(String route, List<Secret> secrets, Metrics metrics) {
        this.route = route;
        this.metrics = metrics;
        this.keys = List.of();
        replace(secrets);
    }

    /**
     * The keys a reload read, in place of these from the next pick on: a key that stays keeps
     * its rest or its removal, a new one starts usable, and one that is gone is no longer
     * picked (an answer already open with it goes on).
     *
     * @return whether the pool changed
     */
    public synchronized boolean replace(List<Secret> secrets) {
        List<PoolKey> now = keys;
        List<PoolKey> pool = new ArrayList<>(secrets.size());
        for (Secret secret : secrets) {
            PoolKey key = now.stream().filter(k -> k.secret().equals(secret)).findFirst()
                    .orElse(null);
            if (key == null) {
                PoolKey added = new PoolKey(secret, pool.size() + 1);
                metrics.poolKey(route, added.fingerprint(),
                        () -> added.resting(System.currentTimeMillis()), added::out);
                key = added;
            }
            pool.add(key);
        }
        boolean changed = !pool.equals(now);
        this.keys = List.copyOf(pool);
        return changed;
    }

    String route() {
        return route;
    }

    /** No key: the route's upstream is called without a credential. */
    boolean empty() {
        return keys.isEmpty();
    }

    List<PoolKey> keys() {
        return keys;
    }

    /** Shares what this pool learns, e.g. through Redis. */
    void tell(ChainNews news) {
        this.news = news;
    }

    /** The next usable key in turn, or null when every key rests or is out. */
    PoolKey pick() {
        List<PoolKey> keys = this.keys;
        int n = keys.size();
        long now = System.currentTimeMillis();
        int start = Math.floorMod(turn.getAndIncrement(), n);
        for (int i = 0; i < n; i++) {
            PoolKey key = keys.get((start + i) % n);
            if (key.usable(now)) {
                return key;
            }
        }
        return null;
    }

    /**
     * Milliseconds until the first resting key may be used again (0 when one can be now), or -1
     * when every key is out of service.
     */
    long readyIn() {
        long now = System.currentTimeMillis();
        long soonest = Long.MAX_VALUE;
        for (PoolKey key : keys) {
            if (!key.out()) {
                soonest = Math.min(soonest, Math.max(0, key.restsUntil() - now));
            }
        }
        return soonest == Long.MAX_VALUE ? -1 : soonest;
    }

    /** The provider throttled {@code key} (429): it rests for {@code rest}. */
    void throttled(PoolKey key, Duration rest) {
        metrics.keyThrottled(route, key.fingerprint());
        rest(key, rest);
    }

    /** {@code key} rests for {@code rest}: throttled, or a limit it reported spent. */
    void rest(PoolKey key, Duration rest) {
        long now = System.currentTimeMillis();
        long until = now + rest.toMillis();
        if (restedUntil(key, until, now)) {
            news.rests(this, key, until);
        }
    }

    /** The provider refused {@code key} (401 or 403): it is out until restart. */
    void refused(PoolKey key, int status) {
        if (outOfService(key, "the upstream answered it " + status)) {
            news.out(this, key);
        }
    }

    /** What another instance saw: {@code fingerprint} rests until {@code until}. */
    void restsElsewhere(String fingerprint, long until) {
        PoolKey key = find(fingerprint);
        if (key != null) {
            restedUntil(key, until, System.currentTimeMillis());
        }
    }

    /** What another instance saw: the provider refused {@code fingerprint}. */
    void outElsewhere(String fingerprint) {
        PoolKey key = find(fingerprint);
        if (key != null) {
            outOfService(key, "another instance was refused with it");
        }
    }

    private boolean restedUntil(PoolKey key, long until, long now) {
        long added = key.restUntil(until, now);
        if (added > 0) {
            metrics.keyRested(route, key.fingerprint(), added);
        }
        return added > 0;
    }

    private boolean outOfService(PoolKey key, String why) {
        if (!key.takeOut()) {
            return false;
        }
        List<PoolKey> keys = this.keys;
        long left = keys.stream().filter(k -> !k.out()).count();
        LOG.warn("route {}: key {} ({} of {}) is out of service until restart: {}; {}",
                route, key.fingerprint(), key.position(), keys.size(), why,
                left == 0 ? "no key is left" : left == 1 ? "1 key is left" : left
                        + " keys are left");
        return true;
    }

    private PoolKey find(String fingerprint) {
        for (PoolKey key : keys) {
            if (key.fingerprint().equals(fingerprint)) {
                return key;
            }
        }
        return null;
    }
}
