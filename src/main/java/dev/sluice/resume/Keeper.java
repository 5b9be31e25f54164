package dev.sluice.resume;

import static dev.sluice.resume.SharedStreams.millis;

import dev.sluice.config.Resume;
import dev.sluice.redis.RedisFailure;
import dev.sluice.redis.RedisLink;
import dev.sluice.redis.Script;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The holder's side of the streams this instance relays: it opens their keys, appends their
 * events in batches ({@link Appender}), closes them, and renews them once a
 * {@link SharedStreams#BEAT} on a platform thread of its own, acting on what each renewal finds.
 * Thread-safe.
 */
final class Keeper implements AutoCloseable {

    /** The holder's lines keep the name they had when they were written by SharedStreams. */
    private static final Logger LOG = LoggerFactory.getLogger(SharedStreams.class);
    private static final Script OPEN = Script.of(Keeper.class, "open", "open.lua");
    private static final Script RENEW = Script.listOf(Keeper.class, "renew", "renew.lua");
    private static final Script CLOSE = Script.of(Keeper.class, "close", "close.lua");

    private final RedisLink redis;
    private final Resume settings;
    private final Consumer<String> noted;
    private final Channels channels;
    /** This instance's name in Redis, as the holder of its streams. */
    private final String instance;
    private final Map<String, Resumable> held = new ConcurrentHashMap<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Appender appender;
    private final Thread beats;

    Keeper(RedisLink redis, Resume settings, Consumer<String> noted, Channels channels,
            String instance) {
        this.redis = redis;
        this.settings = settings;
        this.noted = noted;
        this.channels = channels;
        this.instance = instance;
        this.appender = new Appender(redis, settings.maxEvents());
        // A platform thread: a virtual one would wait for a carrier behind the streams' work,
        // and a beat starved so would let the holder be taken for dead.
        this.beats = Thread.ofPlatform().daemon().name("sluice-stream-beat").start(this::keep);
    }

    private StreamKeys keys(String id) {
        return new StreamKeys(redis.prefix(), id);
    }

    /** The held stream of that id, or null when this instance does not hold it. */
    Resumable held(String id) {
        return held.get(id);
    }

    /**
     * The holder opens a stream: its keys are written and its channel heard on a thread of
     * its own, so the first byte does not wait for Redis; appends sent meanwhile land after.
     */
    void opened(Resumable stream, String owner, boolean attached) {
        String id = stream.id();
        StreamKeys k = keys(id);
        held.put(id, stream);
        Listening mine = channels.listenUnsubscribed(id);
        if (attached) {
            channels.listen(id); // the first reader's own interest, let go when it detaches
            mine.reader(1);
            if (stream.log() instanceof RedisLog log) {
                log.attached();
            }
        }
        Thread.ofVirtual().name("sluice-stream-open").start(() -> {
            try {
                redis.run(OPEN, List.of(k.meta(), k.alive(), k.readers(), k.reading()),
                        owner == null ? "" : owner, stream.route(), instance,
                        attached ? "1" : "0", millis(SharedStreams.ALIVE), millis(keepTime()),
                        millis(SharedStreams.READING));
                redis.subscribe(k.channel());
            } catch (RedisFailure e) {
                noted.accept("unavailable");
                LOG.warn("stream {} is not shared: Redis did not take it ({}); it goes on for "
                        + "its client, and a resume elsewhere gets 404", id, e.getMessage());
            }
        });
    }

    /** How long a running stream's keys outlive its holder's last beat. */
    private Duration keepTime() {
        return settings.retention().multipliedBy(2).plus(Duration.ofSeconds(10));
    }

    /**
     * Sends event {@code n} of a held stream; with too many unanswered, it is not sent: the log
     * then has a gap, which a reader finds as a trimmed range (410).
     *
     * @return completes with whether Redis took it, once its batch is answered
     */
    CompletableFuture<Boolean> append(String id, long n, byte[] fields,
            AtomicInteger inFlight, boolean followed) {
        if (inFlight.incrementAndGet() > SharedStreams.MAX_IN_FLIGHT) {
            inFlight.decrementAndGet();
            noted.accept("append_failed");
            return CompletableFuture.completedFuture(false);
        }
        return appender.append(keys(id), n, fields, followed).whenComplete((taken, never) -> {
            inFlight.decrementAndGet();
            if (!taken) {
                noted.accept("append_failed");
            }
        });
    }

    /**
     * The holder closed the log: recorded once the appends before it have landed, when
     * {@code appended} completes (their batch went on another connection than the close).
     */
    void closed(String id, ReplayLog.Ending ending, long last,
            CompletableFuture<Boolean> appended) {
        held.remove(id);
        StreamKeys k = keys(id);
        Thread.ofVirtual().name("sluice-stream-close").start(() -> {
            try {
                appended.get(redis.timeout().multipliedBy(2).toNanos(), TimeUnit.NANOSECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // as a failed append: the close goes all the same
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                redis.run(CLOSE, List.of(k.meta(), k.alive(), k.log()),
                        ending.name().toLowerCase(Locale.ROOT), Long.toString(last),
                        millis(settings.retention()), k.channel());
            } catch (RedisFailure e) {
                // Its liveness key runs out instead, and a reader ends the log as lost.
                LOG.debug("closing stream {} in Redis failed: {}", id, e.getMessage());
            } finally {
                channels.leave(id);
            }
        });
    }

    /** Once a beat: renews each held stream, and acts on a stop or a reader elsewhere. */
    private void keep() {
        try {
            while (!closed.await(SharedStreams.BEAT.toMillis(), TimeUnit.MILLISECONDS)) {
                beat();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void beat() {
        List<Resumable> streams = List.copyOf(held.values());
        if (streams.isEmpty()) {
            return;
        }
        List<String> args = List.of(instance, millis(SharedStreams.ALIVE), millis(keepTime()));
        List<RedisLink.Call> calls = new ArrayList<>(streams.size());
        for (Resumable stream : streams) {
            StreamKeys k = keys(stream.id());
            calls.add(new RedisLink.Call(List.of(k.meta(), k.alive(), k.log(), k.readers(),
                    k.reading()), args));
        }
        List<Object> answers = redis.runEach(RENEW, calls);
        for (int i = 0; i < streams.size(); i++) {
            if (answers.get(i) instanceof List<?> answer && answer.size() == 3) {
                Resumable stream = streams.get(i);
                if ((Long) answer.get(0) == 1) {
                    stream.stop();
                }
                boolean reading = (Long) answer.get(1) == 1;
                if (reading) {
                    stream.seenReader();
                }
                if (stream.log() instanceof RedisLog log) {
                    log.followed(reading, (Long) answer.get(2));
                }
                stream.takenOver((Long) answer.get(2));
            }
        }
    }

    @Override
    public void close() {
        closed.countDown();
        appender.close();
        try {
            beats.join(SharedStreams.BEAT.multipliedBy(2).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
