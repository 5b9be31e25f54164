package dev.sluice.redis;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * The link's pub/sub connection, opened for its first listener: once subscribed, a connection can
 * send nothing but subscriptions. Every listener hears every channel and keeps what is its own;
 * on a cluster of Redis 7 or newer the channels are shard channels (SSUBSCRIBE).
 * Thread-safe; messages arrive on Lettuce's own thread.
 */
final class Subscriptions implements AutoCloseable {

    private final Supplier<StatefulRedisPubSubConnection<String, String>> pubSubs;
    /** Shard channels (SSUBSCRIBE) instead of channels: see {@link Dialer}. */
    private final boolean sharded;
    private final Failures failures;
    private final Health health;
    private final long timeoutNanos;
    /** Opened by the first {@link #listen}; null before. */
    private StatefulRedisPubSubConnection<String, String> pubSub;

    Subscriptions(Supplier<StatefulRedisPubSubConnection<String, String>> pubSubs,
            boolean sharded, Duration timeout, Failures failures, Health health) {
        this.pubSubs = pubSubs;
        this.sharded = sharded;
        this.failures = failures;
        this.health = health;
        this.timeoutNanos = timeout.toNanos();
    }

    synchronized void listen(BiConsumer<String, String> listener) {
        if (pubSub == null) {
            pubSub = pubSubs.get();
        }
        pubSub.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
                listener.accept(channel, message);
            }

            @Override
            public void smessage(String channel, String message) {
                listener.accept(channel, message);
            }
        });
    }

    void subscribe(String channel) throws RedisFailure {
        health.check("subscribe");
        long start = System.nanoTime();
        RedisFuture<Void> future = sharded ? pubSub.async().ssubscribe(channel)
                : pubSub.async().subscribe(channel);
        try {
            future.get(timeoutNanos, TimeUnit.NANOSECONDS);
            health.succeeded("subscribe", start);
        } catch (TimeoutException | ExecutionException | InterruptedException e) {
            throw health.failed("subscribe", start, failures.failure(future, "subscribe", e));
        }
    }

    void unsubscribe(String channel) {
        if (sharded) {
            pubSub.async().sunsubscribe(channel);
        } else {
            pubSub.async().unsubscribe(channel);
        }
    }

    @Override
    public synchronized void close() {
        if (pubSub != null) {
            pubSub.close();
        }
    }
}
