package dev.sluice.resume;

import dev.sluice.config.Resume;
import dev.sluice.redis.RedisFailure;
import dev.sluice.redis.RedisLink;
import dev.sluice.redis.Script;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resumable streams shared by every instance through Redis: each stream's keys
 * ({@link StreamKeys}) share one hash tag, and its pub/sub channel ({@link Channels}) wakes
 * readers and reaches its holder. The holder ({@link Keeper}) appends in batches, beats once a
 * second, and closes the log; any instance finds, reads, attaches to and stops it here.
 * Thread-safe.
 */
public final class SharedStreams implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SharedStreams.class);
    /**
     * How often the holder beats; its liveness key lasts ten beats, so that a holder alive but
     * stood still for a few seconds (a GC pause, a starved machine, SIGSTOP) is not taken for
     * dead: a stream whose holder died ends as lost within about eleven seconds.
     */
    static final Duration BEAT = Duration.ofSeconds(1);
    static final Duration ALIVE = BEAT.multipliedBy(10);
    /** A reader's mark lasts this long unless its reads renew it. */
    static final Duration READING = BEAT.multipliedBy(5);
    /** Appends of one stream sent and not yet answered, at most: more are not kept. */
    static final int MAX_IN_FLIGHT = 1024;
    /**
     * The most of a log's bytes one look reads, whatever the count asked: SLUICE_MAX_LINE_BYTES's
     * default, one event of the largest size a stream's events are looked at by default.
     */
    static final int LOOK_BYTES = 1 << 20;
    /** With a short SLUICE_REDIS_TIMEOUT, a look reads at most this much per millisecond of it. */
    static final int LOOK_BYTES_PER_MS = 8 << 10;
    static final int MIN_LOOK_BYTES = 64 << 10;

    private static final Script LOOK = Script.listOf(SharedStreams.class, "look", "look.lua");
    private static final Script ATTACH = script("attach");
    private static final Script DETACH = script("detach");
    private static final Script STOP = script("stop");
    private static final Script LOSE = script("lose");

    private final RedisLink redis;
    private final Resume settings;
    private final Function<String, List<byte[]>> lostEnd;
    private final Consumer<String> noted;
    private final Channels channels;
    private final Keeper keeper;
    /** The bytes one look reads, at most: crossed well within the Redis timeout. */
    private final int lookBytes;

    /**
     * @param lostEnd the field lines of the events that end a stream lost with its holder, by
     *     route name: an error in the route's dialect, then its end
     * @param noted told of each thing worth counting: append_failed, lost, ...
     */
    public SharedStreams(RedisLink redis, Resume settings,
            Function<String, List<byte[]>> lostEnd, Consumer<String> noted) {
        this.redis = redis;
        this.settings = settings;
        this.lostEnd = lostEnd;
        this.noted = noted;
        this.lookBytes = lookBytes(redis.timeout());
        byte[] instance = new byte[6];
        new SecureRandom().nextBytes(instance);
        this.channels = new Channels(redis, settings.poll());
        this.keeper = new Keeper(redis, settings, noted, channels,
                HexFormat.of().formatHex(instance));
        redis.listen(this::message);
    }

    /**
     * {@link #LOOK_BYTES}, or less under a timeout shorter than 128 ms: at 8 MB/s, which any
     * network between Sluice and its Redis carries, a look lands within its time limit.
     */
    static int lookBytes(Duration timeout) {
        return (int) Math.max(MIN_LOOK_BYTES, Math.min(LOOK_BYTES,
                timeout.toMillis() * LOOK_BYTES_PER_MS));
    }

    private static Script script(String name) {
        return Script.of(SharedStreams.class, name, name + ".lua");
    }

    Resume settings() {
        return settings;
    }

    /** The longest a reader waits for a message before it looks again (SLUICE_RESUME_POLL). */
    long pollNanos() {
        return settings.poll().toNanos();
    }

    /**
     * The longest an append waits for its batch: the batch in flight before it, then its own,
     * each within the Redis timeout.
     */
    Duration appendLimit() {
        return redis.timeout().multipliedBy(2);
    }

    /** The stream channels this instance hears, and the waiting on them. */
    Channels channels() {
        return channels;
    }

    /** The holder's side: the streams this instance relays. */
    Keeper keeper() {
        return keeper;
    }

    private StreamKeys keys(String id) {
        return new StreamKeys(redis.prefix(), id);
    }

    /**
     * A stream relayed by another instance, as this one sees it, or null when Redis knows no
     * such stream.
     */
    Resumable find(String id, Resumables home) {
        List<String> meta;
        try {
            meta = redis.fields(keys(id).meta(), "owner", "route", "state");
        } catch (RedisFailure e) {
            throw unavailable(e);
        }
        if (meta.get(2) == null) {
            return null;
        }
        String owner = meta.get(0) == null || meta.get(0).isEmpty() ? null : meta.get(0);
        return new Resumable(id, owner, meta.get(1), new RedisLog(this, id, meta.get(1), false),
                home, this, false);
    }

    /**
     * One look at a stream's log: up to {@code count} entries after event {@code after}, and
     * no more of their bytes than {@link #lookBytes}, unless the first alone is larger (then
     * {@link Look#large} names it); null for an unknown stream.
     */
    Look look(String id, long after, int count) {
        StreamKeys k = keys(id);
        List<?> answer;
        try {
            answer = (List<?>) redis.read(LOOK, List.of(k.meta(), k.log(), k.alive(),
                    k.readers(), k.reading()), Long.toString(after), Integer.toString(count),
                    millis(READING), Integer.toString(lookBytes));
        } catch (RedisFailure e) {
            throw unavailable(e);
        }
        if (answer.isEmpty()) {
            return null;
        }
        Look look = Look.of(answer);
        channels.reader(id, look.newestReader());
        return look;
    }

    /**
     * Entry {@code n} of a stream's log, too large for a look ({@code size} bytes in Redis),
     * read by itself, within the Redis timeout and a millisecond more for each
     * {@link #LOOK_BYTES_PER_MS} of it; null once it has been trimmed.
     */
    byte[] large(String id, long n, long size) {
        Duration limit = redis.timeout().plusMillis(size / LOOK_BYTES_PER_MS);
        try {
            return redis.entry(keys(id).log(), n + "-0", "f", limit);
        } catch (RedisFailure e) {
            throw unavailable(e);
        }
    }

    /** Ends the log of a stream whose holder is gone: an error saying so, then the end. */
    void lose(String id, String route) {
        StreamKeys k = keys(id);
        List<byte[]> args = new ArrayList<>(List.of(utf8(millis(settings.retention())),
                utf8(k.channel())));
        args.addAll(lostEnd.apply(route));
        try {
            // On the connection of log reads, whose values are bytes, as the events' are.
            if ((Long) redis.readBytes(LOSE, List.of(k.meta(), k.alive(), k.log()),
                    args.toArray(byte[][]::new)) > 0) {
                noted.accept("lost");
                LOG.info("stream {} was lost with the instance that relayed it: its log ends "
                        + "with an error", id);
            }
        } catch (RedisFailure e) {
            throw unavailable(e);
        }
    }

    /** A new reader: its number, after every instance has been told to end the older one. */
    long attach(String id) {
        Listening l = channels.listen(id);
        StreamKeys k = keys(id);
        try {
            long number = (Long) redis.run(ATTACH, List.of(k.readers(), k.reading()),
                    millis(READING), k.channel());
            l.reader(number);
            return number;
        } catch (RedisFailure e) {
            channels.leave(id);
            throw unavailable(e);
        }
    }

    /**
     * The reader numbered {@code number} has gone; Redis is told on a thread of its own, since
     * the relay thread may be the one that found the client gone.
     */
    void detach(String id, long number) {
        Thread.ofVirtual().name("sluice-stream-detach").start(() -> {
            try {
                redis.run(DETACH, List.of(keys(id).reading()), Long.toString(number));
            } catch (RedisFailure e) {
                // its mark runs out by itself
            } finally {
                channels.leave(id);
            }
        });
    }

    /** Asks the holder, wherever it is, to stop the stream. */
    void stop(String id) {
        StreamKeys k = keys(id);
        try {
            redis.run(STOP, List.of(k.meta()), k.channel());
        } catch (RedisFailure e) {
            throw unavailable(e);
        }
    }

    /** On Lettuce's thread: wakes readers, and tells a held stream of a stop or a new reader. */
    private void message(String channel, String message) {
        String id = StreamKeys.idOf(channel);
        if (id == null || message.isEmpty()) {
            return;
        }
        Resumable stream = keeper.held(id);
        char kind = message.charAt(0);
        if (kind == 'r') {
            long number = Long.parseLong(message.substring(1));
            channels.reader(id, number);
            if (stream != null) {
                stream.takenOver(number);
                if (stream.log() instanceof RedisLog log && log.followed(true, number)) {
                    // Appends since the reader looked were not announced: wake it to look again.
                    redis.publish(channel, "e");
                }
            }
        } else if (kind == 's' && stream != null) {
            stream.stop();
        }
        channels.wake(id);
    }

    static LogUnavailable unavailable(RedisFailure e) {
        return new LogUnavailable(e.getMessage());
    }

    static String millis(Duration duration) {
        return Long.toString(Math.max(1, duration.toMillis()));
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** A string of a log read's answer, which comes as bytes. */
    static String text(Object bytes) {
        return new String((byte[]) bytes, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        keeper.close();
    }
}
