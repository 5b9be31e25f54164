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
 * What every instance's pools learn of their keys, shared through Redis: a rest is kept in a hash
 * per route (read by an instance as it starts) and announced on one channel; a key the provider
 * refused is announced only, so that a restart brings it back, as on a single instance. Each
 * instance still decides alone; this only tells it sooner. Thread-safe.
 */
public final class SharedKeys implements KeyNews {

    private static final Logger LOG = LoggerFactory.getLogger(SharedKeys.class);
    private static final Script REST = Script.of(SharedKeys.class, "rest", "rest.lua");

    private final RedisLink redis;
    private final Map<String, KeyPool> pools;
    private final String channel;

    private SharedKeys(RedisLink redis, Map<String, KeyPool> pools) {
        this.redis = redis;
        this.pools = pools;
        this.channel = redis.prefix() + "keys";
    }

    /**
     * Shares what {@code pools} learn through {@code redis}: hears the other instances and reads
     * the rests they left, before any request.
     */
    public static void share(RedisLink redis, List<KeyPool> pools) {
        Map<String, KeyPool> keyed = pools.stream().filter(pool -> !pool.empty())
                .collect(Collectors.toMap(KeyPool::route, Function.identity()));
        if (!keyed.isEmpty()) {
            new SharedKeys(redis, keyed).start();
        }
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

    /** On Lettuce's thread: {@code r ROUTE FINGERPRINT UNTIL} or {@code o ROUTE FINGERPRINT}. */
    private void message(String from, String message) {
        if (!from.equals(channel)) {
            return;
        }
        String[] parts = message.split(" ");
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
