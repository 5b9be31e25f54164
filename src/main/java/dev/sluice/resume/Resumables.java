package dev.sluice.resume;

import dev.sluice.config.Resume;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * This process's resumable streams and their logs, held in memory within one bound with the
 * events being gathered whole for a log (with Redis too): when they would outgrow it, the
 * caller holding the most beyond an equal share of the bound (among the callers holding any)
 * makes room from its own logs, finished ones first, oldest first, then the oldest events of
 * its largest live one. A finished stream's log is kept for the retention period; its id is
 * then remembered as expired for as long again. One timer thread runs retention and grace
 * periods. With Redis ({@link SharedStreams}), the logs live there instead, bounded per stream
 * and expired by Redis, and a stream relayed by another instance is found there. Thread-safe.
 */
public final class Resumables implements AutoCloseable {

    /** The owner under which callers without an identity share one share of the bound. */
    static final String ANYONE = "";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Resume settings;
    private final Consumer<String> noted;
    /** The logs shared through Redis, or null when they are kept here. */
    private final SharedStreams shared;
    private final Map<String, Resumable> streams = new ConcurrentHashMap<>();
    private final Map<Resumable, MemoryLog> live = new ConcurrentHashMap<>();
    private final Map<Resumable, MemoryLog> logs = new ConcurrentHashMap<>();
    /** Each caller holding bytes or logs here, by owner (guarded by this). */
    private final Map<String, CallerLogs> callers = new HashMap<>();
    private final AtomicLong used = new AtomicLong();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("sluice-resume").factory());

    /** @param noted told of each resume event worth counting: takeover, evicted, trimmed, ... */
    public Resumables(Resume settings, Consumer<String> noted) {
        this(settings, noted, null);
    }

    /** @param shared the logs shared through Redis, or null to keep them in memory */
    public Resumables(Resume settings, Consumer<String> noted, SharedStreams shared) {
        this.settings = settings;
        this.noted = noted;
        this.shared = shared;
    }

    public Resume settings() {
        return settings;
    }

    /**
     * A new stream with an unguessable id (128 random bits, URL-safe) and no reader yet: its
     * grace period starts now.
     *
     * @param owner the caller's identity, or null when the id alone is to be the capability
     */
    public Resumable open(String route, String owner) {
        return open(route, owner, false);
    }

    /**
     * A new stream, as {@link #open(String, String)}; {@code attached}: its client is there
     * from the start and attaches at once.
     */
    public Resumable open(String route, String owner, boolean attached) {
        byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        if (shared != null) {
            Resumable stream = new Resumable(id, owner, route,
                    new RedisLog(shared, id, route, true), this, shared, true);
            if (attached) {
                stream.countFirst();
            }
            streams.put(id, stream);
            shared.keeper().opened(stream, owner, attached);
            graceFrom(stream, 0);
            return stream;
        }
        MemoryLog log;
        synchronized (this) {
            CallerLogs caller = caller(owner);
            log = new MemoryLog(this, caller);
            caller.opened(log);
        }
        Resumable stream = new Resumable(id, owner, route, log, this);
        logs.put(stream, log);
        live.put(stream, log);
        streams.put(id, stream);
        graceFrom(stream, 0);
        return stream;
    }

    /**
     * The stream of that id, live, finished or expired, or null when there is none; with
     * Redis, one relayed here or, from Redis, by another instance.
     *
     * @throws LogUnavailable when Redis must be asked and does not answer
     */
    public Resumable find(String id) {
        if (id == null) {
            return null;
        }
        Resumable here = streams.get(id);
        return here != null || shared == null ? here : shared.find(id, this);
    }

    /** Bytes all logs and the events being gathered for them hold now, with overheads. */
    public long heldBytes() {
        return used.get();
    }

    /** Streams known now: live, finished or remembered as expired. */
    public int known() {
        return streams.size();
    }

    void noted(String what) {
        noted.accept(what);
    }

    void graceFrom(Resumable stream, long epoch) {
        timer.schedule(() -> stream.graceEnded(epoch), settings.grace().toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * On an append: over the bound, make room at once. Under the one lock, so that appends on
     * many threads cannot together overshoot the bound by more than the events being added.
     */
    synchronized void added(CallerLogs caller, long bytes) {
        // Room is made before the bytes are counted, so the count never passes the bound; an
        // append is counted even when no room was found (it is in its log already).
        if (used.get() + bytes > settings.memoryBytes()) {
            shrink(caller, bytes);
        }
        count(caller, bytes);
    }

    synchronized void freed(CallerLogs caller, long bytes) {
        count(caller, -bytes);
    }

    /**
     * Counts {@code bytes} more of an event {@code owner}'s stream gathers whole for its log,
     * making room as an append does; false, and nothing counted, when they do not fit.
     */
    synchronized boolean gather(String owner, long bytes) {
        CallerLogs caller = caller(owner);
        if (used.get() + bytes > settings.memoryBytes() && !shrink(caller, bytes)) {
            forgetIfEmpty(caller);
            return false;
        }
        count(caller, bytes);
        return true;
    }

    /** Bytes that {@link #gather} counted are no longer held. */
    synchronized void ungather(String owner, long bytes) {
        count(caller(owner), -bytes);
    }

    /** The stream's log is closed: it is kept for the retention period, then dropped. */
    void finished(Resumable stream) {
        if (shared != null) {
            streams.remove(stream.id()); // Redis keeps the log, and expires it
            return;
        }
        synchronized (this) {
            // Both at once: a shrink never finds the log in neither.
            MemoryLog log = live.remove(stream);
            if (log == null) {
                return;
            }
            log.caller().finished(log);
        }
        timer.schedule(() -> expire(stream), settings.retention().toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private void expire(Resumable stream) {
        MemoryLog log = logs.remove(stream);
        synchronized (this) {
            log.caller().expired(log);
            count(log.caller(), -log.drop("expired"));
        }
        noted("expired");
        // Remembered as expired (410) for as long again, then unknown (404).
        timer.schedule(() -> streams.remove(stream.id()), settings.retention().toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private CallerLogs caller(String owner) {
        return callers.computeIfAbsent(owner == null ? ANYONE : owner, CallerLogs::new);
    }

    private void count(CallerLogs caller, long delta) {
        used.addAndGet(delta);
        caller.count(delta);
        forgetIfEmpty(caller);
    }

    private void forgetIfEmpty(CallerLogs caller) {
        if (caller.empty()) {
            callers.remove(caller.owner());
        }
    }

    /**
     * Frees room until {@code adding} more bytes of {@code adder}'s fit the bound, each time
     * from the caller most over its share, down to that share at most; false when no caller
     * over it has anything left to free.
     */
    private boolean shrink(CallerLogs adder, long adding) {
        long bound = settings.memoryBytes();
        while (used.get() + adding > bound) {
            CallerLogs over = mostOverShare(adder, adding);
            if (over == null) {
                return false;
            }
            MemoryLog oldest = over.pollFinished();
            if (oldest != null) {
                long freed = oldest.drop("evicted");
                count(over, -freed);
                if (freed > 0) {
                    noted("evicted");
                }
                continue;
            }
            MemoryLog largest = over.largestLive();
            if (largest == null) {
                return false; // a lost event emptied it meanwhile; its count follows
            }
            long held = over.bytes() + (over == adder ? adding : 0);
            long excess = Math.min(used.get() + adding - bound, held - share(adder, adding));
            long freed = largest.trimTo(largest.bytes() - excess);
            if (freed == 0) {
                return false; // appends racing this one will make room in their turn
            }
            count(over, -freed);
            noted("trimmed");
        }
        return true;
    }

    /** An equal share of the bound among the callers holding bytes, {@code adder} among them. */
    private long share(CallerLogs adder, long adding) {
        int holding = 0;
        for (CallerLogs caller : callers.values()) {
            if (caller.bytes() > 0 || caller == adder && adding > 0) {
                holding++;
            }
        }
        return settings.memoryBytes() / Math.max(1, holding);
    }

    /** The caller holding the most beyond its share that can free some, or null. */
    private CallerLogs mostOverShare(CallerLogs adder, long adding) {
        long share = share(adder, adding);
        CallerLogs most = null;
        long mostHeld = share;
        for (CallerLogs caller : callers.values()) {
            long held = caller.bytes() + (caller == adder ? adding : 0);
            if (held > mostHeld && caller.freeable()) {
                most = caller;
                mostHeld = held;
            }
        }
        return most;
    }

    /** Streams open now, for a test or a gauge. */
    public Set<Resumable> live() {
        return Set.copyOf(live.keySet());
    }

    @Override
    public void close() {
        timer.shutdownNow();
        if (shared != null) {
            shared.close();
        }
    }
}
