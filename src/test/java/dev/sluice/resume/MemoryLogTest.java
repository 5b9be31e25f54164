package dev.sluice.resume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The memory log finds the events after an id by number, at and around what it dropped. */
class MemoryLogTest {

    /** What each event here costs, its fields being 8 bytes: a trim to k of these keeps k. */
    private static final int COST = 8 + MemoryLog.ENTRY_OVERHEAD;

    private final MemoryLog log = new MemoryBound(1L << 30, what -> { }).open(null);

    private static byte[] fields(long n) {
        return "data:%02d\n".formatted(n % 100).getBytes(StandardCharsets.US_ASCII);
    }

    private void append(int count) {
        for (int i = 0; i < count; i++) {
            log.append(fields(log.last() + 1));
        }
    }

    private ReplayLog.Read read(long after) throws InterruptedException {
        return log.read(after, Duration.ZERO, () -> true);
    }

    /** Every read after 0..last: gone up to the boundary, then the next events from after + 1. */
    private void assertReadsAroundTrim(long droppedThrough) throws InterruptedException {
        for (long after = 0; after <= log.last(); after++) {
            ReplayLog.Read read = read(after);
            if (after < droppedThrough) {
                assertEquals(new ReplayLog.Gone("trimmed"), read, "after " + after);
                continue;
            }
            List<ReplayLog.Entry> found = assertInstanceOf(ReplayLog.Entries.class, read,
                    "after " + after).entries();
            assertEquals(Math.min(256, log.last() - after), found.size(), "after " + after);
            for (int i = 0; i < found.size(); i++) {
                assertEquals(after + 1 + i, found.get(i).n(), "after " + after);
                assertEquals(new String(fields(after + 1 + i), StandardCharsets.US_ASCII),
                        new String(found.get(i).fields(), StandardCharsets.US_ASCII));
            }
        }
    }

    @Test
    void readsAfterAnyHeldIdStartAtTheNextEvent() throws Exception {
        append(600);
        assertReadsAroundTrim(0);
    }

    @Test
    void readsBeforeTheTrimAreGoneAndFromItStartRightAfter() throws Exception {
        append(600);
        assertEquals(430L * COST, log.trimTo(170L * COST));
        assertReadsAroundTrim(430);
        // The ring has moved on from its start: more appends wrap around its end.
        append(900);
        assertEquals(630L * COST, log.trimTo(440L * COST));
        assertReadsAroundTrim(1060);
        assertEquals(1500, log.last());
    }

    @Test
    void anEventLostAfterATrimMovesTheBoundaryToItself() throws Exception {
        append(40);
        log.trimTo(10L * COST);
        assertEquals(41, log.appendLost());
        append(3);
        assertEquals(new ReplayLog.Gone("trimmed"), read(40));
        assertReadsAroundTrim(41);
    }

    @Test
    void aDroppedLogIsGoneFromEveryIdAndClosedAfterItsLast() throws Exception {
        append(300);
        log.trimTo(100L * COST);
        log.drop("evicted");
        log.close(ReplayLog.Ending.DONE);
        assertEquals(new ReplayLog.Gone("evicted"), read(0));
        assertEquals(new ReplayLog.Gone("evicted"), read(299));
        assertEquals(new ReplayLog.Closed(ReplayLog.Ending.DONE), read(300));
    }
}
