package dev.sluice.resume;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One caller's replay logs in memory and the bytes they and its events being gathered hold, so
 * that a caller over its share of the bound is the one that makes room, from its own logs. Not
 * thread-safe: its {@link MemoryBound} guards it.
 */
final class CallerLogs {

    /** The caller's identity, or {@link MemoryBound#ANYONE} for callers without one. */
    private final String owner;
    /** Logs of live streams, in the order they were opened. */
    private final List<MemoryLog> live = new ArrayList<>();
    /** Logs of finished streams, oldest first. */
    private final ArrayDeque<MemoryLog> finished = new ArrayDeque<>();
    /** What its logs and its events being gathered hold, each event with its overhead. */
    private long bytes;

    CallerLogs(String owner) {
        this.owner = owner;
    }

    String owner() {
        return owner;
    }

    long bytes() {
        return bytes;
    }

    void count(long delta) {
        bytes += delta;
    }

    void opened(MemoryLog log) {
        live.add(log);
    }

    /** The log's stream ended: its log is now the newest of the finished ones. */
    void finished(MemoryLog log) {
        if (live.remove(log)) {
            finished.addLast(log);
        }
    }

    /** The log's retention is over. */
    void expired(MemoryLog log) {
        live.remove(log);
        finished.remove(log);
    }

    /** Its oldest finished log, no longer among them, or null when there is none. */
    MemoryLog pollFinished() {
        return finished.pollFirst();
    }

    /** True when it holds nothing and has no log: it can be forgotten. */
    boolean empty() {
        return bytes == 0 && live.isEmpty() && finished.isEmpty();
    }

    /** True when dropping or trimming one of its logs can free bytes. */
    boolean freeable() {
        return !finished.isEmpty() || largestLive() != null;
    }

    /** Its live log that holds the most, or null when none holds anything. */
    MemoryLog largestLive() {
        MemoryLog largest = null;
        long most = 0;
        for (MemoryLog log : live) {
            long held = log.bytes();
            if (held > most) {
                largest = log;
                most = held;
            }
        }
        return largest;
    }
}
