package dev.sluice.sse;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Read buffers that every stream's {@link BlockScanner} takes while it scans what it read and
 * gives back before it waits for more: a stream waits most of its life, and thousands of held
 * streams would otherwise each keep one. Up to {@link #SLOTS} are kept; when none is free a new
 * one is made, and one given back to a full pool is left to the garbage collector. Thread-safe,
 * without locks.
 */
final class ReadBuffers {

    static final int BYTES = 2048;
    private static final int SLOTS = 64;
    private static final AtomicReferenceArray<byte[]> FREE = new AtomicReferenceArray<>(SLOTS);

    private ReadBuffers() {}

    static byte[] take() {
        int start = ThreadLocalRandom.current().nextInt(SLOTS);
        for (int i = 0; i < SLOTS; i++) {
            int slot = (start + i) % SLOTS;
            // A plain look first: an empty slot costs no atomic write.
            if (FREE.get(slot) != null) {
                byte[] buffer = FREE.getAndSet(slot, null);
                if (buffer != null) {
                    return buffer;
                }
            }
        }
        return new byte[BYTES];
    }

    static void give(byte[] buffer) {
        int start = ThreadLocalRandom.current().nextInt(SLOTS);
        for (int i = 0; i < SLOTS; i++) {
            int slot = (start + i) % SLOTS;
            if (FREE.get(slot) == null && FREE.compareAndSet(slot, null, buffer)) {
                return;
            }
        }
    }

    /** Whether {@code buffer} is in the pool, free for any stream to take. */
    static boolean pooled(byte[] buffer) {
        for (int slot = 0; slot < SLOTS; slot++) {
            if (FREE.get(slot) == buffer) {
                return true;
            }
        }
        return false;
    }
}
