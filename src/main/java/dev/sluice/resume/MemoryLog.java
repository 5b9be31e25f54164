package dev.sluice.resume;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * A replay log in this process's memory, its bytes counted against the bound that all logs
 * share ({@link MemoryBound}) as its caller's, which may trim its oldest events or drop them
 * all. Thread-safe; it never calls its bound while holding its own lock.
 */
final class MemoryLog implements ReplayLog {

    /** What an entry costs beyond its bytes: the entry, the array's header, the ring's slot. */
    static final int ENTRY_OVERHEAD = 64;
    /** Entries handed to a reader at once, so a long replay is written in a few flushes. */
    private static final int BATCH = 256;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Entry n is at position n - droppedThrough - 1. */
    private final EntryRing entries = new EntryRing();
    private final MemoryBound budget;
    /** Whose log it is, for the bound: guarded by the budget, not by this log's lock. */
    private final CallerLogs caller;
    private long last;
    /** Events up to this one are no longer held. */
    private long droppedThrough;
    /** Why the whole log was dropped (expired, evicted), or null. */
    private String dropped;
    private long bytes;
    private Ending ending;

    MemoryLog(MemoryBound budget, CallerLogs caller) {
        this.budget = budget;
        this.caller = caller;
    }

    CallerLogs caller() {
        return caller;
    }

    @Override
    public long append(byte[] fields) {
        long cost = fields.length + ENTRY_OVERHEAD;
        long n;
        lock.lock();
        try {
            if (ending != null) {
                throw new IllegalStateException("the log is closed");
            }
            n = ++last;
            entries.addLast(new Entry(n, fields));
            bytes += cost;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        budget.added(caller, cost);
        return n;
    }

    @Override
    public long appendLost() {
        long freed;
        long n;
        lock.lock();
        try {
            n = ++last;
            freed = bytes;
            entries.clear();
            bytes = 0;
            droppedThrough = n;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        budget.freed(caller, freed);
        budget.noted("trimmed");
        return n;
    }

    @Override
    public long last() {
        lock.lock();
        try {
            return last;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Read read(long after, Duration wait, BooleanSupplier done)
            throws InterruptedException {
        long nanos = wait.toNanos();
        lock.lock();
        try {
            while (true) {
                if (after < droppedThrough) {
                    return new Gone(dropped != null ? dropped : "trimmed");
                }
                long index = after - droppedThrough;
                if (index < entries.size()) {
                    // A copy, so the reader writes it out after the writer has the lock back.
                    return new Entries(entries.copy((int) index, BATCH));
                }
                if (ending != null) {
                    return new Closed(ending);
                }
                if (nanos <= 0 || done.getAsBoolean()) {
                    return new Entries(List.of());
                }
                nanos = changed.awaitNanos(nanos);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close(Ending ending) {
        lock.lock();
        try {
            if (this.ending == null) {
                this.ending = ending;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean awaitClosed(Duration limit) throws InterruptedException {
        long nanos = limit.toNanos();
        lock.lock();
        try {
            while (ending == null && nanos > 0) {
                nanos = changed.awaitNanos(nanos);
            }
            return ending != null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void wake() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    boolean closed() {
        lock.lock();
        try {
            return ending != null;
        } finally {
            lock.unlock();
        }
    }

    long bytes() {
        lock.lock();
        try {
            return bytes;
        } finally {
            lock.unlock();
        }
    }

    /** Drops the oldest events until the log holds at most {@code keep} bytes; the bytes freed. */
    long trimTo(long keep) {
        lock.lock();
        try {
            long freed = 0;
            while (bytes > keep && !entries.isEmpty()) {
                Entry first = entries.removeFirst();
                droppedThrough = first.n();
                long cost = first.fields().length + ENTRY_OVERHEAD;
                bytes -= cost;
                freed += cost;
            }
            return freed;
        } finally {
            lock.unlock();
        }
    }

    /** Drops every event, saying why to later readers; the bytes freed. */
    long drop(String why) {
        lock.lock();
        try {
            long freed = bytes;
            entries.clear();
            bytes = 0;
            droppedThrough = last;
            dropped = why;
            changed.signalAll();
            return freed;
        } finally {
            lock.unlock();
        }
    }
}
