package dev.sluice.redis;

import dev.sluice.config.ConfigException;
import dev.sluice.config.Sharing;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Opens the Lettuce client for a single Redis server or a cluster, once, at start-up. */
final class Dialer {

    /** Opening a connection, at start-up or again later: not on any request's path. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** The longest a read of one large log entry may take, whatever its size. */
    static final Duration LONGEST_ENTRY = Duration.ofSeconds(30);
    /** Keys and arguments as text, values as they are: an event's bytes go and come unchanged. */
    private static final Pattern VERSION = Pattern.compile("redis_version:(\\d+)");
    static final RedisCodec<String, byte[]> BYTES = RedisCodec.of(StringCodec.UTF8,
            ByteArrayCodec.INSTANCE);

    /**
     * An open client: its commands on one shared connection, reads of stream logs on a second
     * and appends to them on a third (both with values as bytes), and where pub/sub connections
     * come from; {@code client} shuts the client down. {@code sharded}: a cluster of Redis 7 or
     * newer, whose streams' channels are shard channels (SPUBLISH, SSUBSCRIBE).
     */
    record Connected(ClientResources resources, AutoCloseable client, boolean cluster,
            boolean sharded,
            StatefulConnection<String, String> connection,
            RedisClusterAsyncCommands<String, String> commands,
            StatefulConnection<String, byte[]> reads,
            RedisClusterAsyncCommands<String, byte[]> readCommands,
            StatefulConnection<String, byte[]> appends,
            RedisClusterAsyncCommands<String, byte[]> appendCommands,
            Supplier<StatefulRedisPubSubConnection<String, String>> pubSubs) {}

    private Dialer() {}

    /**
     * Connects and checks that Redis answers and accepts Sluice's credentials; a single server or
     * a cluster, whichever the address turns out to be.
     *
     * @throws ConfigException saying what is wrong, without the password
     */
    static Connected dial(Sharing sharing, Failures failures) {
        // Lettuce's default waits up to 30 s between attempts; Redis back should be Redis used.
        ClientResources resources = ClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1),
                        2, TimeUnit.MILLISECONDS))
                .build();
        RedisURI uri = uri(sharing);
        RedisClient single = RedisClient.create(resources, uri);
        single.setOptions(ClientOptions.builder()
                .socketOptions(socketOptions())
                .timeoutOptions(timeouts(sharing))
                // While the connection is down, calls fail at once instead of queueing for it.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .build());
        try {
            StatefulRedisConnection<String, String> connection = single.connect();
            boolean cluster;
            boolean sharded;
            try {
                cluster = connection.sync().info("cluster").contains("cluster_enabled:1");
                sharded = cluster && major(connection.sync().info("server")) >= 7;
            } catch (RuntimeException e) {
                connection.close();
                throw e;
            }
            if (!cluster) {
                // Shutting the client down, as a failure here does, closes both.
                StatefulRedisConnection<String, byte[]> reads = single.connect(BYTES);
                StatefulRedisConnection<String, byte[]> appends = single.connect(BYTES);
                return new Connected(resources, single::shutdown, false, false, connection,
                        connection.async(), reads, reads.async(), appends, appends.async(),
                        single::connectPubSub);
            }
            connection.close();
            single.shutdown();
            return cluster(sharing, resources, uri, sharded);
        } catch (RuntimeException e) {
            single.shutdown();
            resources.shutdown();
            throw failures.refusal(e);
        }
    }

    /** The major version in an {@code INFO server} answer ({@code redis_version:7.0.15}). */
    static int major(String info) {
        Matcher m = VERSION.matcher(info);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    private static Connected cluster(Sharing sharing, ClientResources resources, RedisURI uri,
            boolean sharded) {
        RedisClusterClient cluster = RedisClusterClient.create(resources, uri);
        cluster.setOptions(ClusterClientOptions.builder()
                .socketOptions(socketOptions())
                .timeoutOptions(timeouts(sharing))
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
            StatefulRedisClusterConnection<String, byte[]> reads = cluster.connect(BYTES);
            StatefulRedisClusterConnection<String, byte[]> appends = cluster.connect(BYTES);
            return new Connected(resources, cluster::shutdown, true, sharded, connection,
                    connection.async(), reads, reads.async(), appends, appends.async(),
                    cluster::connectPubSub);
        } catch (RuntimeException e) {
            cluster.shutdown();
            throw e;
        }
    }

    /**
     * Lettuce's own limit on each command, beside the caller's wait: the configured timeout, but
     * for XRANGE, which only {@link RedisLink#entry} sends, with a limit of its own by the
     * entry's size.
     */
    private static TimeoutOptions timeouts(Sharing sharing) {
        long timeout = sharing.timeout().toNanos();
        long entry = LONGEST_ENTRY.toNanos();
        return TimeoutOptions.builder().timeoutCommands().timeoutSource(new TimeoutOptions
                .TimeoutSource() {
            @Override
            public long getTimeout(RedisCommand<?, ?, ?> command) {
                return command.getType() == CommandType.XRANGE ? entry : timeout;
            }

            @Override
            public TimeUnit getTimeUnit() {
                return TimeUnit.NANOSECONDS;
            }
        }).build();
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
}
