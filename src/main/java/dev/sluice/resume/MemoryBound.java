package dev.sluice.resume;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The bound that the replay logs in memory and the events being gathered whole for any log
 * share: when they would pass it, the caller holding the most beyond an equal share of it
 * (among the callers holding any) makes room from its own logs, finished ones first, oldest
 * first, then the oldest events of its largest live one. Thread-safe: one lock, so that appends
 * on many threads cannot together overshoot the bound by more than the events being added.
 */
final class MemoryBound {

    /** The owner under which callers without an identity share one share of the bound. */
    static final String ANYONE = "";

    private final long bound;
    private final Consumer<String> noted;
    /** Each caller holding bytes or logs here, by owner (guarded by this). */
    private final Map<String, CallerLogs> callers = new HashMap<>();
    private final AtomicLong used = new AtomicLong();

    /** @param noted told of each eviction and trim */
    MemoryBound(long bound, Consumer<String> noted) {
        this.bound = bound;
        this.noted = noted;
    }

    /** Bytes held now, with each event's overhead. */
    long held() {
        return used.get();
    }

    void noted(String what) {
        noted.accept(what);
    }

    /** A new log of {@code owner}'s (null: a caller without an identity). */
    synchronized MemoryLog open(String owner) {
        CallerLogs caller = caller(owner);
        MemoryLog log = new MemoryLog(this, caller);
        caller.opened(log);
        return log;
    }

    /** On an append: over the bound, room is made at once. */
    synchronized void added(CallerLogs caller, long bytes) {
        // Room is made before the bytes are counted, so the count never passes the bound; an
        // append is counted even when no room was found (it is in its log already).
        if (used.get() + bytes > bound) {
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
        if (used.get() + bytes > bound && !shrink(caller, bytes)) {
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

    /** The log's stream ended: its log is now its caller's newest finished one. */
    synchronized void finished(MemoryLog log) {
        log.caller().finished(log);
    }

    /** The log's retention is over: it is dropped. */
    synchronized void expired(MemoryLog log) {
        log.caller().expired(log);
        count(log.caller(), -log.drop("expired"));
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
        return bound / Math.max(1, holding);
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
}
