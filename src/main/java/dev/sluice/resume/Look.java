package dev.sluice.resume;

import java.util.ArrayList;
import java.util.List;

/**
 * What one look at a stream in Redis found (the answer of look.lua); {@code last} is -1 while
 * the stream runs.
 */
record Look(String state, long last, boolean alive, long newestReader, boolean logThere,
        List<ReplayLog.Entry> entries) {

    boolean running() {
        return state.equals("running");
    }

    /** The script's answer: state, last, alive, newest reader, log there, entries. */
    static Look of(List<?> answer) {
        List<ReplayLog.Entry> entries = new ArrayList<>();
        for (Object each : (List<?>) answer.get(5)) {
            List<?> entry = (List<?>) each;
            String entryId = (String) entry.get(0);
            List<?> fields = (List<?>) entry.get(1);
            entries.add(new ReplayLog.Entry(Long.parseLong(entryId.substring(0,
                    entryId.indexOf('-'))), SharedStreams.bytes((String) fields.get(1))));
        }
        return new Look((String) answer.get(0), Long.parseLong((String) answer.get(1)),
                (Long) answer.get(2) == 1, Long.parseLong((String) answer.get(3)),
                (Long) answer.get(4) == 1, entries);
    }
}
