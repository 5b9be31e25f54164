package dev.sluice.redis;

import dev.sluice.config.ConfigException;
import dev.sluice.config.Sharing;
import dev.sluice.observe.Metrics;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sluice's one connection to Redis, a single server or a cluster, shared by every thread: Lettuce
 * multiplexes the calls of all virtual threads on it and reconnects by itself. Every call has the
 * configured time limit and fails as a {@link RedisFailure}; whether the last one worked is what
 * {@link #trouble()} reports. A second connection, from the same client, carries the pub/sub
 * messages that resumable streams wait on, since a subscribed connection can send nothing else.
 * Thread-safe.
 */
public final class RedisLink implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisLink.class);
    /** Opening a connection, at start-up or again later: not on any request's path. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

    /** One script call of a batch: the script's keys and arguments. */
    public record Call(List<String> keys, List<String> args) {}

    private final Sharing sharing;
    private final Metrics metrics;
    private final ClientResources resources;
    private final AutoCloseable client;
    private final StatefulConnection<String, String> connection;
    private final RedisClusterAsyncCommands<String, String> commands;
    private final Supplier<StatefulRedisPubSubConnection<String, String>> pubSubs;
    /** Opened by the first {@link #listen}; null before. */
    private StatefulRedisPubSubConnection<String, String> pubSub;
    private final long timeoutNanos;
    /** Why the last call failed, or null when it worked. */
    private final AtomicReference<String> trouble = new AtomicReference<>();

    private RedisLink(Sharing sharing, Metrics metrics, ClientResources resources,
            AutoCloseable client, StatefulConnection<String, String> connection,
            RedisClusterAsyncCommands<String, String> commands,
            Supplier<StatefulRedisPubSubConnection<String, String>> pubSubs) {
        this.sharing = sharing;
        this.metrics = metrics;
        this.resources = resources;
        this.client = client;
        this.connection = connection;
        this.commands = commands;
        this.pubSubs = pubSubs;
        this.timeoutNanos = sharing.timeout().toNanos();
    }

    /**
     * Connects and checks that Redis answers and accepts Sluice's credentials; a single server or
     * a cluster, whichever the address turns out to be.
     *
     * @throws ConfigException saying what is wrong, without the password
     */
    public static RedisLink open(Sharing sharing, Metrics metrics) {
        // Lettuce's default waits up to 30 s between attempts; Redis back should be Redis used.
        ClientResources resources = ClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1),
                        2, TimeUnit.MILLISECONDS))
                .build();
        RedisURI uri = uri(sharing);
        RedisClient single = RedisClient.create(resources, uri);
        single.setOptions(ClientOptions.builder()
                .socketOptions(socketOptions())
                .timeoutOptions(TimeoutOptions.enabled(sharing.timeout()))
                // While the connection is down, calls fail at once instead of queueing for it.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .build());
        try {
            StatefulRedisConnection<String, String> connection = single.connect();
            boolean cluster;
            try {
                cluster = connection.sync().info("cluster").contains("cluster_enabled:1");
            } catch (RuntimeException e) {
                connection.close();
                throw e;
            }
            if (!cluster) {
                return new RedisLink(sharing, metrics, resources, single::shutdown, connection,
                        connection.async(), single::connectPubSub);
            }
            connection.close();
            single.shutdown();
            return cluster(sharing, metrics, resources, uri);
        } catch (RuntimeException e) {
            single.shutdown();
            resources.shutdown();
            throw refusal(sharing, e);
        }
    }

    private static RedisLink cluster(Sharing sharing, Metrics metrics, ClientResources resources,
            RedisURI uri) {
        RedisClusterClient cluster = RedisClusterClient.create(resources, uri);
        cluster.setOptions(ClusterClientOptions.builder()
                .socketOptions(socketOptions())
                .timeoutOptions(TimeoutOptions.enabled(sharing.timeout()))
                // Lettuce opens a connection to each master on its first command: rejecting
                // commands until it is open would refuse the first ones for nothing. A master
                // that is down costs each call its time limit instead.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                // A moved slot or a failed node makes Lettuce read the topology again.
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .enableAllAdaptiveRefreshTriggers().build())
                .build());
        try {
            StatefulRedisClusterConnection<String, String> connection = cluster.connect();
            return new RedisLink(sharing, metrics, resources, cluster::shutdown, connection,
                    connection.async(), cluster::connectPubSub);
        } catch (RuntimeException e) {
            cluster.shutdown();
            throw e;
        }
    }

    private static SocketOptions socketOptions() {
        // Keep-alive finds a peer that vanished without a word (a power cut) while idle.
        return SocketOptions.builder().connectTimeout(CONNECT_TIMEOUT).keepAlive(true).build();
    }

    private static RedisURI uri(Sharing sharing) {
        RedisURI.Builder uri = RedisURI.Builder.redis(sharing.host(), sharing.port())
                .withSsl(sharing.tls()).withDatabase(sharing.database())
                // The handshake's limit (and start-up's check); each call has its own, shorter.
                .withTimeout(CONNECT_TIMEOUT).withClientName("sluice");
        if (sharing.password() != null) {
            char[] password = sharing.password().value().toCharArray();
            uri = sharing.user() == null ? uri.withPassword(password)
                    : uri.withAuthentication(sharing.user(), password);
        }
        return uri.build();
    }

    /** What went wrong at start-up, in the words of the settings. */
    private static ConfigException refusal(Sharing sharing, RuntimeException e) {
        String why = scrub(sharing, rootMessage(e));
        String upper = why.toUpperCase(Locale.ROOT);
        if (upper.contains("WRONGPASS") || upper.contains("NOAUTH") || upper.contains("NOPERM")
                || upper.contains("INVALID PASSWORD") || upper.contains("AUTH")) {
            return new ConfigException("Redis at " + sharing.address() + " refused Sluice's "
                    + "credentials (SLUICE_REDIS_URL, SLUICE_REDIS_PASSWORD): " + why);
        }
        return new ConfigException("cannot reach Redis at " + sharing.address()
                + " (SLUICE_REDIS_URL): " + why);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        String message = e.getMessage();
        for (int i = 0; i < 10 && root.getCause() != null; i++) {
            root = root.getCause();
            if (root.getMessage() != null) {
                message = root.getMessage();
            }
        }
        return message == null ? root.getClass().getSimpleName() : message;
    }

    /** Nothing Redis or Lettuce says may carry the password on. */
    private static String scrub(Sharing sharing, String text) {
        return sharing.password() == null ? text
                : text.replace(sharing.password().value(), sharing.password().fingerprint());
    }

    /** Every key starts with this. */
    public String prefix() {
        return sharing.prefix();
    }

    /** Runs {@code script} on {@code keys} (all of one slot) and returns its answer. */
    public Object run(Script script, List<String> keys, String... args) throws RedisFailure {
        long start = System.nanoTime();
        String[] keyArray = keys.toArray(String[]::new);
        try {
            Object answer = await(script, evalsha(script, keyArray, args), keyArray, args);
            succeeded(script.name(), start);
            return answer;
        } catch (RedisFailure e) {
            throw failed(script.name(), start, e);
        }
    }

    /**
     * Runs {@code script} once per call, all sent at once (pipelined) and then awaited.
     *
     * @return how many failed; a failure is recorded as the link's trouble
     */
    public int runAll(Script script, List<Call> calls) {
        long start = System.nanoTime();
        List<RedisFuture<Object>> sent = new ArrayList<>(calls.size());
        for (Call call : calls) {
            sent.add(evalsha(script, call.keys().toArray(String[]::new),
                    call.args().toArray(String[]::new)));
        }
        int failures = 0;
        RedisFailure first = null;
        for (int i = 0; i < sent.size(); i++) {
            try {
                await(script, sent.get(i), calls.get(i).keys().toArray(String[]::new),
                        calls.get(i).args().toArray(String[]::new));
            } catch (RedisFailure e) {
                failures++;
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            failed(script.name(), start, first);
        } else {
            succeeded(script.name(), start);
        }
        return failures;
    }

    /** Removes {@code member} from the sorted set {@code key}, without waiting for it. */
    public void forget(String key, String member) {
        long start = System.nanoTime();
        commands.zrem(key, member).toCompletableFuture()
                .orTimeout(timeoutNanos, TimeUnit.NANOSECONDS)
                .whenComplete((removed, failure) -> metrics.redisCall("release",
                        System.nanoTime() - start, failure == null));
    }

    /**
     * Runs {@code script} once per call, all sent at once (pipelined) and then awaited.
     *
     * @return each call's answer, in order, or null for a call that failed
     */
    public List<Object> runEach(Script script, List<Call> calls) {
        long start = System.nanoTime();
        List<RedisFuture<Object>> sent = new ArrayList<>(calls.size());
        for (Call call : calls) {
            sent.add(evalsha(script, call.keys().toArray(String[]::new),
                    call.args().toArray(String[]::new)));
        }
        List<Object> answers = new ArrayList<>(calls.size());
        RedisFailure first = null;
        for (int i = 0; i < sent.size(); i++) {
            try {
                answers.add(await(script, sent.get(i), calls.get(i).keys()
                        .toArray(String[]::new), calls.get(i).args().toArray(String[]::new)));
            } catch (RedisFailure e) {
                answers.add(null);
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            failed(script.name(), start, first);
        } else if (!calls.isEmpty()) {
            succeeded(script.name(), start);
        }
        return answers;
    }

    /**
     * Adds an entry with the explicit id {@code id} and one field to the stream {@code key},
     * trimmed to about {@code maxLength} entries (XADD MAXLEN ~), then publishes {@code note}
     * on {@code channel}; neither is awaited: commands on the one connection run in the order
     * sent, so entries land in order, and {@code done} hears whether the entry was taken.
     */
    public void append(String key, String id, long maxLength, String field, String value,
            String channel, String note, Consumer<Boolean> done) {
        commands.xadd(key, new XAddArgs().id(id).maxlen(maxLength).approximateTrimming(),
                field, value).toCompletableFuture()
                .orTimeout(timeoutNanos, TimeUnit.NANOSECONDS)
                .whenComplete((added, failure) -> done.accept(failure == null));
        if (channel != null) {
            commands.publish(channel, note);
        }
    }

    /** Sends {@code message} on {@code channel}, without waiting: a wake-up, worth no retry. */
    public void publish(String channel, String message) {
        commands.publish(channel, message);
    }

    /** The values of {@code fields} in the hash {@code key}, null for each one missing. */
    public List<String> fields(String key, String... fields) throws RedisFailure {
        long start = System.nanoTime();
        var future = commands.hmget(key, fields);
        try {
            var found = future.get(timeoutNanos, TimeUnit.NANOSECONDS);
            succeeded("hmget", start);
            List<String> values = new ArrayList<>(found.size());
            found.forEach(value -> values.add(value.hasValue() ? value.getValue() : null));
            return values;
        } catch (TimeoutException | ExecutionException | InterruptedException e) {
            throw failed("hmget", start, failure(future, "hmget", e));
        }
    }

    /**
     * Sends each message on a channel this instance {@linkplain #subscribe subscribes} to
     * {@code listener} (channel, message), on Lettuce's own thread: it must not block.
     */
    public synchronized void listen(BiConsumer<String, String> listener) {
        if (pubSub != null) {
            throw new IllegalStateException("one listener per link");
        }
        pubSub = pubSubs.get();
        pubSub.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
                listener.accept(channel, message);
            }
        });
    }

    /** Subscribes to {@code channel} and waits until Redis has taken the subscription. */
    public void subscribe(String channel) throws RedisFailure {
        long start = System.nanoTime();
        RedisFuture<Void> future = pubSub.async().subscribe(channel);
        try {
            future.get(timeoutNanos, TimeUnit.NANOSECONDS);
            succeeded("subscribe", start);
        } catch (TimeoutException | ExecutionException | InterruptedException e) {
            throw failed("subscribe", start, failure(future, "subscribe", e));
        }
    }

    /** Ends the subscription to {@code channel}, without waiting for it. */
    public void unsubscribe(String channel) {
        pubSub.async().unsubscribe(channel);
    }

    /** Checks that Redis answers. */
    public void ping() throws RedisFailure {
        long start = System.nanoTime();
        RedisFuture<String> future = commands.ping();
        try {
            future.get(timeoutNanos, TimeUnit.NANOSECONDS);
            succeeded("ping", start);
        } catch (TimeoutException | ExecutionException | InterruptedException e) {
            throw failed("ping", start, failure(future, "ping", e));
        }
    }

    /** Why the last call to Redis failed, or null when it worked. */
    public String trouble() {
        return trouble.get();
    }

    /** The address for log lines: never the password. */
    public String address() {
        return sharing.address();
    }

    private RedisFuture<Object> evalsha(Script script, String[] keys, String[] args) {
        return commands.evalsha(script.sha(), outputType(script), keys, args);
    }

    private static ScriptOutputType outputType(Script script) {
        return script.list() ? ScriptOutputType.MULTI : ScriptOutputType.INTEGER;
    }

    private Object await(Script script, RedisFuture<Object> sent, String[] keys, String[] args)
            throws RedisFailure {
        RedisFuture<Object> future = sent;
        try {
            try {
                return future.get(timeoutNanos, TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RedisNoScriptException)) {
                    throw e;
                }
                // Redis restarted, or this node never saw the script: send it whole.
                future = commands.eval(script.text(), outputType(script), keys, args);
                return future.get(timeoutNanos, TimeUnit.NANOSECONDS);
            }
        } catch (TimeoutException | ExecutionException | InterruptedException e) {
            throw failure(future, script.name(), e);
        }
    }

    private RedisFailure failure(Future<?> future, String what, Exception e) {
        if (e instanceof TimeoutException) {
            future.cancel(true);
            return new RedisFailure(what + ": no answer within " + sharing.timeout().toMillis()
                    + " ms");
        }
        if (e instanceof InterruptedException) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            return new RedisFailure(what + ": interrupted");
        }
        String kind = e.getCause() instanceof RedisCommandExecutionException ? "error" : "failed";
        return new RedisFailure(what + " " + kind + ": " + scrub(sharing,
                rootMessage(e.getCause() == null ? e : e.getCause())));
    }

    private void succeeded(String what, long start) {
        metrics.redisCall(what, System.nanoTime() - start, true);
        String was = trouble.getAndSet(null);
        if (was != null) {
            LOG.info("Redis at {} answers again: limits, budgets and stream logs are "
                    + "shared again", sharing.address());
        }
    }

    private RedisFailure failed(String what, long start, RedisFailure e) {
        metrics.redisCall(what, System.nanoTime() - start, false);
        if (trouble.getAndSet(e.getMessage()) == null) {
            LOG.warn("Redis at {} does not answer ({}): streams in flight go on; new requests "
                    + "are counted {}", sharing.address(), e.getMessage(), policy());
        }
        return e;
    }

    private String policy() {
        return (sharing.limitsFailOpen() ? "by this instance alone"
                : "not at all (limited clients get 503)") + ", daily budgets "
                + (sharing.budgetsFailOpen() ? "by this instance alone"
                        : "refuse (budgeted clients get 503)");
    }

    @Override
    public void close() {
        synchronized (this) {
            if (pubSub != null) {
                pubSub.close();
            }
        }
        connection.close();
        try {
            client.close();
        } catch (Exception e) {
            LOG.debug("closing the Redis client", e);
        }
        resources.shutdown();
    }
}
