package dev.sluice.resume;

import java.util.ArrayList;
import java.util.List;

/**
 * What one look at a stream in Redis found (the answer of look.lua); {@code last} is -1 while
 * the stream runs, and {@code large} is the number of an entry too large for a look, which came
 * first and without its value, to be read by itself (0 when none did), {@code largeSize} its
 * size in Redis.
 */
record Look(String state, long last, boolean alive, long newestReader, boolean logThere,
        List<ReplayLog.Entry> entries, long large, long largeSize) {

    boolean running() {
        return state.equals("running");
    }

    /**
     * The script's answer (its strings as bytes): state, last, alive, newest reader, log there,
     * entries.
     */
    static Look of(List<?> answer) {
        List<ReplayLog.Entry> entries = new ArrayList<>();
        long large = 0;
        long largeSize = 0;
        for (Object each : (List<?>) answer.get(5)) {
            List<?> entry = (List<?>) each;
            String entryId = SharedStreams.text(entry.get(0));
            long n = Long.parseLong(entryId.substring(0, entryId.indexOf('-')));
            if (entry.get(1) instanceof byte[] value) {
                entries.add(new ReplayLog.Entry(n, value));
            } else {
                large = n; // its size alone: the look stopped at it
                largeSize = (Long) entry.get(1);
            }
        }
        return new Look(SharedStreams.text(answer.get(0)),
                Long.parseLong(SharedStreams.text(answer.get(1))),
                (Long) answer.get(2) == 1, Long.parseLong(SharedStreams.text(answer.get(3))),
                (Long) answer.get(4) == 1, entries, large, largeSize);
    }
}
