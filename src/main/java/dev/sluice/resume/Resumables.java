package dev.sluice.resume;

import dev.sluice.config.Resume;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * This process's resumable streams and their logs, held in memory within one bound that the
 * events being gathered whole for a log share (with Redis too; {@link MemoryBound} says who
 * makes room). A finished stream's log is kept for the retention period; its id is then
 * remembered as expired for as long again. One timer thread runs retention and grace periods.
 * With Redis ({@link SharedStreams}), the logs live there instead, bounded per stream and
 * expired by Redis, and a stream relayed by another instance is found there. Thread-safe.
 */
public final class Resumables implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Resume settings;
    private final Consumer<String> noted;
    /** The logs shared through Redis, or null when they are kept here. */
    private final SharedStreams shared;
    private final Map<String, Resumable> streams = new ConcurrentHashMap<>();
    private final Map<Resumable, MemoryLog> live = new ConcurrentHashMap<>();
    private final Map<Resumable, MemoryLog> logs = new ConcurrentHashMap<>();
    /** What the logs here and the events being gathered for any log hold. */
    private final MemoryBound bound;
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
        this.bound = new MemoryBound(settings.memoryBytes(), noted);
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
        MemoryLog log = bound.open(owner);
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
        return bound.held();
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

    /** Counts bytes of an event {@code owner}'s stream gathers, as {@link MemoryBound#gather}. */
    boolean gather(String owner, long bytes) {
        return bound.gather(owner, bytes);
    }

    void ungather(String owner, long bytes) {
        bound.ungather(owner, bytes);
    }

    /** The stream's log is closed: it is kept for the retention period, then dropped. */
    void finished(Resumable stream) {
        if (shared != null) {
            streams.remove(stream.id()); // Redis keeps the log, and expires it
            return;
        }
        MemoryLog log = live.remove(stream);
        if (log == null) {
            return;
        }
        bound.finished(log);
        timer.schedule(() -> expire(stream), settings.retention().toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private void expire(Resumable stream) {
        bound.expired(logs.remove(stream));
        noted("expired");
        // Remembered as expired (410) for as long again, then unknown (404).
        timer.schedule(() -> streams.remove(stream.id()), settings.retention().toMillis(),
                TimeUnit.MILLISECONDS);
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
