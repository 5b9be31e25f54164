package dev.sluice.bench;

/**
 * A run's per-event latencies: all of them, and apart those of the events sent once every stream
 * had its first byte, so that a backlog from opening the streams can be told from the latency of
 * streams that are merely open. Appends without allocation; not thread-safe.
 */
final class Latencies {

    private final Samples all;
    private final Samples allOpen;
    private long allOpenSinceMicros = Long.MAX_VALUE;

    Latencies(int capacity) {
        all = new Samples(capacity);
        allOpen = new Samples(capacity);
    }

    /** Every stream has had its first byte at {@code micros}. */
    void allOpen(long micros) {
        allOpenSinceMicros = micros;
    }

    void add(long sentMicros, long receivedMicros) {
        long latency = receivedMicros - sentMicros;
        all.add(latency);
        if (sentMicros >= allOpenSinceMicros) {
            allOpen.add(latency);
        }
    }

    /** Sorts and summarises all latencies; add nothing after. */
    Stats all() {
        return all.stats();
    }

    /** Sorts and summarises the latencies of events sent once all streams were open. */
    Stats allOpen() {
        return allOpen.stats();
    }
}
