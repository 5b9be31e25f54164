package dev.sluice.chain;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many answers of a route's upstream may be open at once ({@code max-concurrent}; 0 for no
 * bound), across every chain the route is in; a freed slot wakes the queues waiting for one.
 * Thread-safe.
 */
final class Slots {

    /** One open answer's slot; closing it frees the slot, once. */
    static final class Taken implements AutoCloseable {
        private final Slots slots;
        private final AtomicBoolean freed = new AtomicBoolean();

        private Taken(Slots slots) {
            this.slots = slots;
        }

        @Override
        public void close() {
            if (freed.compareAndSet(false, true)) {
                slots.free();
            }
        }
    }

    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private final List<Runnable> waiting = new CopyOnWriteArrayList<>();

    Slots(int max) {
        this.max = max;
    }

    /** A slot, or null when all are taken. */
    Taken take() {
        if (max > 0) {
            for (int now = open.get(); ; now = open.get()) {
                if (now >= max) {
                    return null;
                }
                if (open.compareAndSet(now, now + 1)) {
                    break;
                }
            }
        }
        return new Taken(this);
    }

    /** Runs {@code wake} whenever a slot is freed. */
    void onFree(Runnable wake) {
        if (max > 0) {
            waiting.add(wake);
        }
    }

    int max() {
        return max;
    }

    private void free() {
        if (max > 0) {
            open.decrementAndGet();
            waiting.forEach(Runnable::run);
        }
    }
}
