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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resumable streams shared by every instance through Redis: each stream's keys
 * ({@code <prefix>{stream:<id>}:meta}, {@code :log}, {@code :alive}, {@code :readers},
 * {@code :reading}) share one hash tag, and its pub/sub channel wakes readers and reaches its
 * holder. The holder appends without waiting, beats once a second (its liveness key, a stop
 * asked for, a reader present anywhere), and closes the log; any instance reads it. Thread-safe.
 */
public final class SharedStreams implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SharedStreams.class);
    /** How often the holder beats; its liveness key lasts three beats. */
    static final Duration BEAT = Duration.ofSeconds(1);
    private static final Duration ALIVE = BEAT.multipliedBy(3);
    /** A reader's mark lasts this long unless its reads renew it. */
    private static final Duration READING = BEAT.multipliedBy(5);
    /** The longest a reader waits for a message before it looks again. */
    static final Duration POLL = BEAT;
    /** Appends of one stream sent and not yet answered, at most: more are not kept. */
    static final int MAX_IN_FLIGHT = 1024;

    private static final Script OPEN = script("open");
    private static final Script RENEW = Script.listOf(SharedStreams.class, "renew", "renew.lua");
    private static final Script CLOSE = script("close");
    private static final Script LOOK = Script.listOf(SharedStreams.class, "look", "look.lua");
    private static final Script ATTACH = script("attach");
    private static final Script DETACH = script("detach");
    private static final Script STOP = script("stop");
    private static final Script LOSE = script("lose");

    /** What one look found; {@code last} is -1 while the stream runs. */
    record Look(String state, long last, boolean alive, long newestReader, boolean logThere,
            List<ReplayLog.Entry> entries) {

        boolean running() {
            return state.equals("running");
        }
    }

    /** This instance's interest in one stream's channel: readers waiting and the holder. */
    static final class Listening {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private long version;
        private volatile long newestReader;
        private int users;

        long version() {
            lock.lock();
            try {
                return version;
            } finally {
                lock.unlock();
            }
        }

        void signal() {
            lock.lock();
            try {
                version++;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** Waits up to {@code nanos} for a message after {@code seen}. */
        void await(long seen, long nanos) throws InterruptedException {
            lock.lock();
            try {
                while (version == seen && nanos > 0) {
                    nanos = changed.awaitNanos(nanos);
                }
            } finally {
                lock.unlock();
            }
        }

        void reader(long number) {
            if (number > newestReader) {
                newestReader = number;
            }
        }
    }

    private final RedisLink redis;
    private final Resume settings;
    private final Function<String, List<byte[]>> lostEnd;
    private final Consumer<String> noted;
    private final String instance;
    private final Map<String, Listening> listening = new ConcurrentHashMap<>();
    private final Map<String, Resumable> held = new ConcurrentHashMap<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread keeper;

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
        byte[] id = new byte[6];
        new SecureRandom().nextBytes(id);
        this.instance = HexFormat.of().formatHex(id);
        redis.listen(this::message);
        this.keeper = Thread.ofVirtual().name("sluice-stream-beat").start(this::keep);
    }

    private static Script script(String name) {
        return Script.of(SharedStreams.class, name, name + ".lua");
    }

    Resume settings() {
        return settings;
    }

    private String key(String id, String name) {
        return redis.prefix() + "{stream:" + id + "}:" + name;
    }

    private String channel(String id) {
        return redis.prefix() + "{stream:" + id + "}";
    }

    /**
     * The holder opens a stream: its keys are written and its channel heard on a thread of
     * its own, so the first byte does not wait for Redis; appends sent meanwhile land after.
     */
    void opened(Resumable stream, String owner, boolean attached) {
        String id = stream.id();
        held.put(id, stream);
        Listening mine = listen(id);
        if (attached) {
            listen(id); // the first reader's own interest, let go when it detaches
            mine.reader(1);
        }
        Thread.ofVirtual().name("sluice-stream-open").start(() -> {
            try {
                redis.run(OPEN, List.of(key(id, "meta"), key(id, "alive"), key(id, "readers"),
                        key(id, "reading")), owner == null ? "" : owner, stream.route(), instance,
                        attached ? "1" : "0", millis(ALIVE), millis(keepTime()), millis(READING));
                redis.subscribe(channel(id));
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
     * @return completes with whether Redis took it, within the Redis timeout
     */
    CompletableFuture<Boolean> append(String id, long n, byte[] fields,
            AtomicInteger inFlight, boolean followed) {
        if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
            inFlight.decrementAndGet();
            noted.accept("append_failed");
            return CompletableFuture.completedFuture(false);
        }
        CompletableFuture<Boolean> landed = new CompletableFuture<>();
        redis.append(key(id, "log"), n + "-0", settings.maxEvents(), "f", text(fields),
                followed ? channel(id) : null, "e", taken -> {
                    inFlight.decrementAndGet();
                    if (!taken) {
                        noted.accept("append_failed");
                    }
                    landed.complete(taken);
                });
        return landed;
    }

    /** The holder closed the log: recorded once the appends before it have landed. */
    void closed(String id, ReplayLog.Ending ending, long last) {
        held.remove(id);
        Thread.ofVirtual().name("sluice-stream-close").start(() -> {
            try {
                redis.run(CLOSE, List.of(key(id, "meta"), key(id, "alive"), key(id, "log")),
                        ending.name().toLowerCase(Locale.ROOT), Long.toString(last),
                        millis(settings.retention()), channel(id));
            } catch (RedisFailure e) {
                // Its liveness key runs out instead, and a reader ends the log as lost.
                LOG.debug("closing stream {} in Redis failed: {}", id, e.getMessage());
            } finally {
                leave(id);
            }
        });
    }

    /**
     * A stream relayed by another instance, as this one sees it, or null when Redis knows no
     * such stream.
     */
    Resumable find(String id, Resumables home) {
        List<String> meta;
        try {
            meta = redis.fields(key(id, "meta"), "owner", "route", "state");
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

    /** One look at a stream's log after event {@code after}; null for an unknown stream. */
    Look look(String id, long after, int count) {
        List<?> answer;
        try {
            answer = (List<?>) redis.run(LOOK, List.of(key(id, "meta"), key(id, "log"),
                    key(id, "alive"), key(id, "readers"), key(id, "reading")),
                    Long.toString(after), Integer.toString(count), millis(READING));
        } catch (RedisFailure e) {
            throw unavailable(e);
        }
        if (answer.isEmpty()) {
            return null;
        }
        List<ReplayLog.Entry> entries = new ArrayList<>();
        for (Object each : (List<?>) answer.get(5)) {
            List<?> entry = (List<?>) each;
            String entryId = (String) entry.get(0);
            List<?> fields = (List<?>) entry.get(1);
            entries.add(new ReplayLog.Entry(Long.parseLong(entryId.substring(0,
                    entryId.indexOf('-'))), bytes((String) fields.get(1))));
        }
        long newest = Long.parseLong((String) answer.get(3));
        Listening l = listening.get(id);
        if (l != null) {
            l.reader(newest);
        }
        return new Look((String) answer.get(0), Long.parseLong((String) answer.get(1)),
                (Long) answer.get(2) == 1, newest, (Long) answer.get(4) == 1, entries);
    }

    /** Ends the log of a stream whose holder is gone: an error saying so, then the end. */
    void lose(String id, String route) {
        List<String> args = new ArrayList<>(List.of(millis(settings.retention()), channel(id)));
        lostEnd.apply(route).forEach(fields -> args.add(text(fields)));
        try {
            if ((Long) redis.run(LOSE, List.of(key(id, "meta"), key(id, "alive"),
                    key(id, "log")), args.toArray(String[]::new)) > 0) {
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
        Listening l = listen(id);
        try {
            long number = (Long) redis.run(ATTACH, List.of(key(id, "readers"),
                    key(id, "reading")), millis(READING), channel(id));
            l.reader(number);
            return number;
        } catch (RedisFailure e) {
            leave(id);
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
                redis.run(DETACH, List.of(key(id, "reading")), Long.toString(number));
            } catch (RedisFailure e) {
                // its mark runs out by itself
            } finally {
                leave(id);
            }
        });
    }

    /** The number of the newest reader this instance has heard of. */
    long newestReader(String id) {
        Listening l = listening.get(id);
        return l == null ? 0 : l.newestReader;
    }

    /** Asks the holder, wherever it is, to stop the stream. */
    void stop(String id) {
        try {
            redis.run(STOP, List.of(key(id, "meta")), channel(id));
        } catch (RedisFailure e) {
            throw unavailable(e);
        }
    }

    /** Hears the stream's channel until {@link #leave}; subscribes for the first user. */
    Listening listen(String id) {
        boolean[] first = new boolean[1];
        Listening l = listening.compute(id, (k, was) -> {
            Listening now = was == null ? new Listening() : was;
            first[0] = ++now.users == 1;
            return now;
        });
        if (first[0] && !held.containsKey(id)) {
            try {
                redis.subscribe(channel(id));
            } catch (RedisFailure e) {
                leave(id);
                throw unavailable(e);
            }
        }
        return l;
    }

    /** No longer hears the stream's channel for one user; unsubscribes after the last. */
    void leave(String id) {
        Listening l = listening.computeIfPresent(id, (k, was) -> --was.users == 0 ? null : was);
        if (l == null) {
            redis.unsubscribe(channel(id));
        }
    }

    /** Waits up to {@code nanos} for a message on the stream's channel after {@code seen}. */
    void await(Listening l, long seen, long nanos) throws InterruptedException {
        if (l == null) {
            TimeUnit.NANOSECONDS.sleep(Math.min(nanos, POLL.toNanos())); // a poll's pace
        } else {
            l.await(seen, nanos);
        }
    }

    Listening listening(String id) {
        return listening.get(id);
    }

    void wake(String id) {
        Listening l = listening.get(id);
        if (l != null) {
            l.signal();
        }
    }

    /** On Lettuce's thread: wakes readers, and tells a held stream of a stop or a new reader. */
    private void message(String channel, String message) {
        int open = channel.indexOf("{stream:");
        if (open < 0 || message.isEmpty()) {
            return;
        }
        String id = channel.substring(open + "{stream:".length(), channel.length() - 1);
        Listening l = listening.get(id);
        Resumable stream = held.get(id);
        char kind = message.charAt(0);
        if (kind == 'r') {
            long number = Long.parseLong(message.substring(1));
            if (l != null) {
                l.reader(number);
            }
            if (stream != null) {
                stream.takenOver(number);
                if (stream.log() instanceof RedisLog log && !log.followed(true)) {
                    // Appends since the reader looked were not announced: wake it to look again.
                    redis.publish(channel, "e");
                }
            }
        } else if (kind == 's' && stream != null) {
            stream.stop();
        }
        if (l != null) {
            l.signal();
        }
    }

    /** Once a beat: renews each held stream, and acts on a stop or a reader elsewhere. */
    private void keep() {
        try {
            while (!closed.await(BEAT.toMillis(), TimeUnit.MILLISECONDS)) {
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
        List<RedisLink.Call> calls = new ArrayList<>(streams.size());
        for (Resumable stream : streams) {
            String id = stream.id();
            calls.add(new RedisLink.Call(List.of(key(id, "meta"), key(id, "alive"),
                    key(id, "log"), key(id, "readers"), key(id, "reading")),
                    List.of(instance, millis(ALIVE), millis(keepTime()))));
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
                    log.followed(reading);
                }
                stream.takenOver((Long) answer.get(2));
            }
        }
    }

    private static LogUnavailable unavailable(RedisFailure e) {
        return new LogUnavailable(e.getMessage());
    }

    private static String millis(Duration duration) {
        return Long.toString(Math.max(1, duration.toMillis()));
    }

    /**
     * Event bytes as Redis keeps them: one char per byte (ISO-8859-1), so that any bytes come
     * back exactly, whatever the connection's codec makes of text.
     */
    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        closed.countDown();
        try {
            keeper.join(BEAT.multipliedBy(2).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
