package dev.sluice.resume;

import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The events of one resumable stream, numbered from 1 in the order they were relayed: one
 * writer (the stream's relay thread) appends, any number of readers read strictly after an
 * event they have. A reader is done when the log is closed, never because an event looks
 * final. The in-memory log is the default; a shared store (Redis Streams, one key per stream,
 * ids {@code <n>-0}) can stand behind the same calls. Thread-safe.
 */
public interface ReplayLog {

    /** One logged event: its number and its field lines, without an id line or blank line. */
    record Entry(long n, byte[] fields) {}

    /** What a read found. */
    sealed interface Read permits Entries, Closed, Gone {}

    /** Events after the one asked for, in order; empty when the wait ended with none. */
    record Entries(List<Entry> entries) implements Read {}

    /** No event after the one asked for, and none will come: the stream ended so. */
    record Closed(Ending ending) implements Read {}

    /** Events after the one asked for are no longer held; {@code reason} says why. */
    record Gone(String reason) implements Read {}

    /**
     * How a stream ended, as its log records it; {@code LOST}: with Redis, the instance that
     * relayed it went away without closing it.
     */
    enum Ending { DONE, FAILED, STOPPED, ABANDONED, LOST }

    /**
     * Appends an event (the log keeps {@code fields}, which the caller no longer changes).
     *
     * @return its number, one more than the last
     */
    long append(byte[] fields);

    /**
     * Counts an event too large to hold: it takes the next number and is not kept, so a
     * reader from before it finds the log {@link Gone} (trimmed) rather than a gap.
     *
     * @return its number
     */
    long appendLost();

    /** The number of the last event appended, 0 before the first. */
    long last();

    /**
     * The events after event {@code after}, waiting up to {@code wait} for one when there is
     * none yet and the log is open. The wait ends early when {@code done} says so after a
     * {@link #wake}: it is asked under the same guard as a wake, so no wake is missed.
     */
    Read read(long after, Duration wait, BooleanSupplier done) throws InterruptedException;

    /** Ends the log: readers get what it holds, then {@link Closed}. Called on every exit. */
    void close(Ending ending);

    /** Waits up to {@code limit} for the log to be closed; true when it is. */
    boolean awaitClosed(Duration limit) throws InterruptedException;

    /** Wakes every reader waiting in {@link #read}, to notice a change of its own. */
    void wake();
}
