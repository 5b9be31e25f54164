package dev.sluice.bench;

import java.util.Arrays;

/** Latency samples in microseconds, appended without allocation up to the capacity given. */
final class Samples {

    private int[] values;
    private int size;

    Samples(int capacity) {
        values = new int[Math.max(16, capacity)];
    }

    void add(long micros) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = (int) Math.min(Integer.MAX_VALUE, Math.max(0, micros));
    }

    /** Sorts the samples and summarises them; add nothing after. */
    Stats stats() {
        Arrays.sort(values, 0, size);
        return Stats.of(values, size);
    }
}
