package dev.sluice.sse;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Read buffers that every stream's {@link BlockScanner} takes while it scans what it read and
 * gives back before it waits for more: a stream waits most of its life, and thousands of held
 * streams would otherwise each keep one. A few are kept; when none is free a new one is made, and
 * one given back to a full pool is left to the garbage collector. Thread-safe, without locks.
 */
final class ReadBuffers {

    static final int BYTES = 2048;
    private static final int SLOTS = 64;
    private static final AtomicReferenceArray<byte[]> FREE = new AtomicReferenceArray<>(SLOTS);
    /** Slots looked at before giving up: a free buffer is usually found at once. */
    private static final int TRIES = 4;

    private ReadBuffers() {}

    static byte[] take() {
        int start = ThreadLocalRandom.current().nextInt(SLOTS);
        for (int i = 0; i < TRIES; i++) {
            byte[] buffer = FREE.getAndSet((start + i) % SLOTS, null);
            if (buffer != null) {
                return buffer;
            }
        }
        return new byte[BYTES];
    }

    static void give(byte[] buffer) {
        int start = ThreadLocalRandom.current().nextInt(SLOTS);
        for (int i = 0; i < TRIES; i++) {
            if (FREE.compareAndSet((start + i) % SLOTS, null, buffer)) {
                return;
            }
        }
    }
}
