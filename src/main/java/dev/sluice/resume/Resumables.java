package dev.sluice.resume;

import dev.sluice.config.Resume;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * This process's resumable streams and their logs, held in memory within one bound: when the
 * logs outgrow it, finished streams lose theirs first, oldest first, then each live stream over
 * its share loses its oldest events. A finished stream's log is kept for the retention period;
 * its id is then remembered as expired for as long again. One timer thread runs retention and
 * grace periods. Thread-safe.
 */
public final class Resumables implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Resume settings;
    private final Consumer<String> noted;
    private final Map<String, Resumable> streams = new ConcurrentHashMap<>();
    private final Map<Resumable, MemoryLog> live = new ConcurrentHashMap<>();
    /** Finished streams whose logs still hold events, oldest first (guarded by this). */
    private final ArrayDeque<MemoryLog> finished = new ArrayDeque<>();
    private final Map<Resumable, MemoryLog> logs = new ConcurrentHashMap<>();
    private final AtomicLong used = new AtomicLong();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("sluice-resume").factory());

    /** @param noted told of each resume event worth counting: takeover, evicted, trimmed, ... */
    public Resumables(Resume settings, Consumer<String> noted) {
        this.settings = settings;
        this.noted = noted;
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
        byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        MemoryLog log = new MemoryLog(this);
        Resumable stream = new Resumable(id, owner, route, log, this);
        logs.put(stream, log);
        live.put(stream, log);
        streams.put(id, stream);
        graceFrom(stream, 0);
        return stream;
    }

    /** The stream of that id, live, finished or expired, or null when there is none. */
    public Resumable find(String id) {
        return id == null ? null : streams.get(id);
    }

    /** Bytes all logs hold now, with each event's overhead. */
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
    synchronized void added(long bytes) {
        // Room is made before the bytes are counted, so the count never passes the bound.
        if (used.get() + bytes > settings.memoryBytes()) {
            shrink(bytes);
        }
        used.addAndGet(bytes);
    }

    void freed(long bytes) {
        used.addAndGet(-bytes);
    }

    /** The stream's log is closed: it is kept for the retention period, then dropped. */
    void finished(Resumable stream) {
        synchronized (this) {
            // Both at once: a shrink never finds the log in neither.
            MemoryLog log = live.remove(stream);
            if (log == null) {
                return;
            }
            finished.addLast(log);
        }
        timer.schedule(() -> expire(stream), settings.retention().toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private void expire(Resumable stream) {
        MemoryLog log = logs.remove(stream);
        synchronized (this) {
            finished.remove(log);
        }
        used.addAndGet(-log.drop("expired"));
        noted("expired");
        // Remembered as expired (410) for as long again, then unknown (404).
        timer.schedule(() -> streams.remove(stream.id()), settings.retention().toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Frees room until {@code adding} more bytes (already in their log) fit the bound. */
    private void shrink(long adding) {
        long bound = settings.memoryBytes();
        while (used.get() + adding > bound) {
            MemoryLog oldest = finished.pollFirst();
            if (oldest != null) {
                long freed = oldest.drop("evicted");
                used.addAndGet(-freed);
                if (freed > 0) {
                    noted("evicted");
                }
                continue;
            }
            long share = bound / Math.max(1, live.size());
            long freed = 0;
            for (MemoryLog log : live.values()) {
                if (log.bytes() > share) {
                    long trimmed = log.trimTo(share);
                    used.addAndGet(-trimmed);
                    freed += trimmed;
                    noted("trimmed");
                }
            }
            if (freed == 0) {
                return; // appends racing this one will make room in their turn
            }
        }
    }

    /** Streams open now, for a test or a gauge. */
    public Set<Resumable> live() {
        return Set.copyOf(live.keySet());
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
