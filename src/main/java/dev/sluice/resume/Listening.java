package dev.sluice.resume;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * This instance's interest in one stream's channel: readers waiting and the holder, woken by
 * each message; counted by {@link Channels}. Thread-safe.
 */
final class Listening {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long version;
    private volatile long newestReader;
    /** Changed only inside a compute of the {@link Channels} map, which guards it. */
    private int users;

    /** Counts one more user: true for the first. */
    boolean join() {
        return ++users == 1;
    }

    /** Counts one user fewer: true after the last. */
    boolean part() {
        return --users == 0;
    }

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

    long newestReader() {
        return newestReader;
    }
}
