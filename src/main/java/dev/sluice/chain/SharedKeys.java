package dev.sluice.chain;

import dev.sluice.redis.RedisFailure;
import dev.sluice.redis.RedisLink;
import dev.sluice.redis.Script;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every instance's chains learn of their keys and upstreams, shared through Redis: a key's
 * rest is kept in a hash per route (read by an instance as it starts) and announced on one
 * channel; a key the provider refused and an upstream skipped after failing are announced only,
 * so that a restart brings them back, as on a single instance. Each instance still decides
 * alone; this only tells it sooner. Thread-safe.
 */
public final class SharedKeys implements ChainNews {

    private static final Logger LOG = LoggerFactory.getLogger(SharedKeys.class);
    private static final Script REST = Script.of(SharedKeys.class, "rest", "rest.lua");

    private final RedisLink redis;
    private final Map<String, KeyPool> pools;
    private final Map<String, Health> healths;
    private final String channel;

    private SharedKeys(RedisLink redis, Map<String, KeyPool> pools, Map<String, Health> healths) {
        this.redis = redis;
        this.pools = pools;
        this.healths = healths;
        this.channel = redis.prefix() + "keys";
    }

    /**
     * Shares what {@code links} learn through {@code redis}: hears the other instances and reads
     * the rests they left, before any request.
     */
    public static void share(RedisLink redis, List<Link> links) {
        Map<String, KeyPool> keyed = links.stream().map(Link::pool).filter(pool -> !pool.empty())
                .collect(Collectors.toMap(KeyPool::route, Function.identity()));
        Map<String, Health> healths = links.stream().map(Link::health)
                .collect(Collectors.toMap(Health::route, Function.identity()));
        new SharedKeys(redis, keyed, healths).start();
    }

    private void start() {
        redis.listen(this::message);
        try {
            redis.subscribe(channel);
            for (KeyPool pool : pools.values()) {
                String[] fingerprints = pool.keys().stream().map(PoolKey::fingerprint)
                        .toArray(String[]::new);
                List<String> rests = redis.fields(hash(pool), fingerprints);
                for (int i = 0; i < fingerprints.length; i++) {
                    if (rests.get(i) != null) {
                        pool.restsElsewhere(fingerprints[i], Long.parseLong(rests.get(i)));
                    }
                }
            }
        } catch (RedisFailure e) {
            LOG.warn("keys' rests are not shared until Redis answers: {}", e.getMessage());
        }
        pools.values().forEach(pool -> pool.tell(this));
        healths.values().forEach(health -> health.tell(this));
    }

    /** The route's hash, in a slot of its own on a cluster. */
    private String hash(KeyPool pool) {
        return redis.prefix() + "{keys:" + pool.route() + "}";
    }

    @Override
    public void rests(KeyPool pool, PoolKey key, long until) {
        String note = "r " + pool.route() + " " + key.fingerprint() + " " + until;
        // Off the request's thread: a Redis that is slow must not hold the answer up.
        Thread.ofVirtual().name("sluice-key-rest").start(() -> {
            try {
                redis.run(REST, List.of(hash(pool)), key.fingerprint(), Long.toString(until),
                        channel, Long.toString(System.currentTimeMillis()), note);
            } catch (RedisFailure e) {
                LOG.warn("route {}: the rest of key {} is not shared: {}", pool.route(),
                        key.fingerprint(), e.getMessage());
            }
        });
    }

    @Override
    public void out(KeyPool pool, PoolKey key) {
        redis.publish(channel, "o " + pool.route() + " " + key.fingerprint());
    }

    @Override
    public void skips(String route, long until) {
        redis.publish(channel, "h " + route + " " + until);
    }

    /**
     * On Lettuce's thread: {@code r ROUTE FINGERPRINT UNTIL}, {@code o ROUTE FINGERPRINT} or
     * {@code h ROUTE UNTIL}.
     */
    private void message(String from, String message) {
        if (!from.equals(channel)) {
            return;
        }
        String[] parts = message.split(" ");
        Health health = parts.length == 3 ? healths.get(parts[1]) : null;
        if (parts[0].equals("h") && health != null) {
            try {
                health.skippedElsewhere(Long.parseLong(parts[2]));
            } catch (NumberFormatException e) {
                // not one of ours
            }
            return;
        }
        KeyPool pool = parts.length >= 3 ? pools.get(parts[1]) : null;
        if (pool == null) {
            return;
        }
        if (parts[0].equals("r") && parts.length == 4) {
            try {
                pool.restsElsewhere(parts[2], Long.parseLong(parts[3]));
            } catch (NumberFormatException e) {
                // not one of ours
            }
        } else if (parts[0].equals("o")) {
            pool.outElsewhere(parts[2]);
        }
    }
}
