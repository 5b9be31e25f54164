package dev.sluice.redis;

import dev.sluice.config.ConfigException;
import dev.sluice.config.Sharing;
import dev.sluice.observe.Metrics;
import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.resource.ClientResources;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sluice's connection to Redis, a single server or a cluster, shared by every thread: Lettuce
 * multiplexes the calls of all virtual threads on it and reconnects by itself. Every call has the
 * configured time limit (a large log entry, one by its size) and fails as a {@link RedisFailure};
 * whether the last one worked is what {@link #trouble()} reports. Reads of resumable streams'
 * logs have a connection of their own ({@link #read}), so that their long answers hold up no
 * admission, spend or lease renewal, and so have appends to them ({@link #appendEach}); both
 * carry values as bytes, so an event's bytes are kept as they are. A fourth, from the same
 * client, carries the pub/sub messages that resumable streams wait on, since a subscribed
 * connection can send nothing else. Thread-safe.
 */
public final class RedisLink implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisLink.class);

    /** One script call of a batch: the script's keys and arguments. */
    public record Call(List<String> keys, List<String> args) {

        ScriptRunner.Call<String> call() {
            return new ScriptRunner.Call<>(keys.toArray(String[]::new),
                    args.toArray(String[]::new));
        }
    }

    /** One script call of a batch whose arguments are bytes, such as events as they are. */
    public record ByteCall(List<String> keys, List<byte[]> args) {

        ScriptRunner.Call<byte[]> call() {
            return new ScriptRunner.Call<>(keys.toArray(String[]::new),
                    args.toArray(byte[][]::new));
        }
    }

    private final Sharing sharing;
    private final Failures failures;
    private final Health health;
    private final ClientResources resources;
    private final AutoCloseable client;
    private final StatefulConnection<String, String> connection;
    private final RedisClusterAsyncCommands<String, String> commands;
    private final boolean cluster;
    /**
     * A cluster of Redis 7 or newer: a stream's channel is a shard channel, which lives on the
     * master of its slot alone instead of being sent to every node.
     */
    private final boolean sharded;
    private final StatefulConnection<String, byte[]> reads;
    private final ScriptRunner<String> scripts;
    private final RedisClusterAsyncCommands<String, byte[]> readCommands;
    private final Health readHealth;
    private final ScriptRunner<byte[]> readScripts;
    private final StatefulConnection<String, byte[]> appends;
    private final ScriptRunner<byte[]> appendScripts;
    private final Subscriptions subscriptions;
    private final Breaker breaker;
    private final long timeoutNanos;

    private RedisLink(Sharing sharing, Failures failures, Metrics metrics,
            Dialer.Connected connected) {
        this.sharing = sharing;
        this.failures = failures;
        this.breaker = new Breaker(sharing, metrics);
        this.health = Health.ofCommands(sharing, metrics, breaker);
        this.resources = connected.resources();
        this.client = connected.client();
        this.connection = connected.connection();
        this.commands = connected.commands();
        this.cluster = connected.cluster();
        this.reads = connected.reads();
        this.sharded = connected.sharded();
        this.scripts = new ScriptRunner<>(commands, sharded, sharing.timeout(), failures,
                health);
        this.readCommands = connected.readCommands();
        this.readHealth = Health.ofReads(sharing, metrics, breaker);
        this.readScripts = new ScriptRunner<>(readCommands, sharded, sharing.timeout(),
                failures, readHealth);
        this.appends = connected.appends();
        this.appendScripts = new ScriptRunner<>(connected.appendCommands(), sharded,
                sharing.timeout(), failures, Health.ofAppends(sharing, metrics, breaker));
        this.subscriptions = new Subscriptions(connected.pubSubs(), sharded, sharing.timeout(),
                failures, health);
        this.timeoutNanos = sharing.timeout().toNanos();
        breaker.probeWith(this::answers);
    }

    /**
     * Connects and checks that Redis answers and accepts Sluice's credentials; a single server or
     * a cluster, whichever the address turns out to be.
     *
     * @throws ConfigException saying what is wrong, without the password
     */
    public static RedisLink open(Sharing sharing, Metrics metrics) {
        Failures failures = new Failures(sharing);
        return new RedisLink(sharing, failures, metrics, Dialer.dial(sharing, failures));
    }

    /** Every key starts with this. */
    public String prefix() {
        return sharing.prefix();
    }

    /** The longest any one call may take. */
    public Duration timeout() {
        return sharing.timeout();
    }

    /** Runs {@code script} on {@code keys} (all of one slot) and returns its answer. */
    public Object run(Script script, List<String> keys, String... args) throws RedisFailure {
        return scripts.run(script, keys, args);
    }

    /**
     * Runs {@code script}, a read of a stream's log, on the connection kept for such reads: the
     * replies on one connection come in the order asked, so a megabyte read there would hold up
     * every admission asked after it on the other. Its strings come as bytes, as Redis has them.
     */
    public Object read(Script script, List<String> keys, String... args) throws RedisFailure {
        byte[][] bytes = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            bytes[i] = args[i].getBytes(StandardCharsets.UTF_8);
        }
        return readScripts.run(script, keys, bytes);
    }

    /** As {@link #read}, for a script given bytes, such as events to write to a log. */
    public Object readBytes(Script script, List<String> keys, byte[]... args)
            throws RedisFailure {
        return readScripts.run(script, keys, args);
    }

    /**
     * Runs {@code script} once per call on the connection kept for appends to streams' logs, all
     * sent at once (pipelined) and then awaited: a batch of appends waits for no other call.
     *
     * @return each call's answer, in order (strings as bytes), or null for a call that failed
     */
    public List<Object> appendEach(Script script, List<ByteCall> calls) {
        return appendScripts.runEach(script, calls.stream().map(ByteCall::call).toList());
    }

    /**
     * Which calls of a batch may share one script call: on a cluster, the hash slot of
     * {@code key}, since a script may touch the keys of one slot only; on a server, 0 for all.
     */
    public int slot(String key) {
        return cluster ? SlotHash.getSlot(key) : 0;
    }

    /**
     * The value of {@code field} in the entry {@code id} of the stream {@code key}, or null when
     * there is no such entry: one entry too large for a {@linkplain #read read}, on the same
     * connection, within {@code limit} (at most {@link Dialer#LONGEST_ENTRY}).
     */
    public byte[] entry(String key, String id, String field, Duration limit)
            throws RedisFailure {
        readHealth.check("entry");
        long start = System.nanoTime();
        Duration within = limit.compareTo(Dialer.LONGEST_ENTRY) > 0 ? Dialer.LONGEST_ENTRY
                : limit;
        var future = readCommands.xrange(key, Range.create(id, id));
        try {
            List<StreamMessage<String, byte[]>> found = future.get(within.toNanos(),
                    TimeUnit.NANOSECONDS);
            readHealth.succeeded("entry", start);
            return found.isEmpty() ? null : found.getFirst().getBody().get(field);
        } catch (TimeoutException | ExecutionException | InterruptedException e) {
            throw readHealth.failed("entry", start, failures.failure(future, "entry", e, within));
        }
    }

    /**
     * Runs {@code script} once per call, all sent at once (pipelined) and then awaited.
     *
     * @return how many failed; a failure is recorded as the link's trouble
     */
    public int runAll(Script script, List<Call> calls) {
        return scripts.runAll(script, calls.stream().map(Call::call).toList());
    }

    /**
     * Runs {@code script} once per call, all sent at once (pipelined) and then awaited.
     *
     * @return each call's answer, in order, or null for a call that failed
     */
    public List<Object> runEach(Script script, List<Call> calls) {
        return scripts.runEach(script, calls.stream().map(Call::call).toList());
    }

    /** Removes {@code member} from the sorted set {@code key}, without waiting for it. */
    public void forget(String key, String member) {
        if (health.skipping()) {
            return; // the lease runs out by itself
        }
        long start = System.nanoTime();
        commands.zrem(key, member).toCompletableFuture()
                .orTimeout(timeoutNanos, TimeUnit.NANOSECONDS)
                .whenComplete((removed, failure) -> health.metric("release", start,
                        failure == null));
    }

    /** Sends {@code message} on {@code channel}, without waiting: a wake-up, worth no retry. */
    public void publish(String channel, String message) {
        if (health.skipping()) {
            return;
        }
        if (sharded) {
            commands.spublish(channel, message);
        } else {
            commands.publish(channel, message);
        }
    }

    /** The values of {@code fields} in the hash {@code key}, null for each one missing. */
    public List<String> fields(String key, String... fields) throws RedisFailure {
        health.check("hmget");
        long start = System.nanoTime();
        var future = commands.hmget(key, fields);
        try {
            var found = future.get(timeoutNanos, TimeUnit.NANOSECONDS);
            health.succeeded("hmget", start);
            List<String> values = new ArrayList<>(found.size());
            found.forEach(value -> values.add(value.hasValue() ? value.getValue() : null));
            return values;
        } catch (TimeoutException | ExecutionException | InterruptedException e) {
            throw health.failed("hmget", start, failures.failure(future, "hmget", e));
        }
    }

    /**
     * Sends each message on a channel this instance {@linkplain #subscribe subscribes} to
     * {@code listener} (channel, message), on Lettuce's own thread: it must not block.
     */
    public void listen(BiConsumer<String, String> listener) {
        subscriptions.listen(listener);
    }

    /** Subscribes to {@code channel} and waits until Redis has taken the subscription. */
    public void subscribe(String channel) throws RedisFailure {
        subscriptions.subscribe(channel);
    }

    /** Ends the subscription to {@code channel}, without waiting for it. */
    public void unsubscribe(String channel) {
        subscriptions.unsubscribe(channel);
    }

    /** Checks that Redis answers, unless it did not answer the last calls ({@link Breaker}). */
    public void ping() throws RedisFailure {
        health.check("ping");
        answers();
    }

    /** Pings Redis, whatever the breaker says: its probe. */
    private void answers() throws RedisFailure {
        long start = System.nanoTime();
        RedisFuture<String> future = commands.ping();
        try {
            future.get(timeoutNanos, TimeUnit.NANOSECONDS);
            health.succeeded("ping", start);
        } catch (TimeoutException | ExecutionException | InterruptedException e) {
            throw health.failed("ping", start, failures.failure(future, "ping", e));
        }
    }

    /** Why the last call to Redis failed, or null when it worked. */
    public String trouble() {
        return health.trouble();
    }

    /** The address for log lines: never the password. */
    public String address() {
        return sharing.address();
    }

    @Override
    public void close() {
        breaker.close();
        subscriptions.close();
        appends.close();
        reads.close();
        connection.close();
        try {
            client.close();
        } catch (Exception e) {
            LOG.debug("closing the Redis client", e);
        }
        resources.shutdown();
    }
}
