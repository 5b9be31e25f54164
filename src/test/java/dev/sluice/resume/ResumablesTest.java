package dev.sluice.resume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.Resume;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The in-memory logs: ids, replacing upstream ids, takeover, grace, retention and bounds. */
class ResumablesTest {

    private final BlockingQueue<String> noted = new LinkedBlockingQueue<>();

    private Resumables resumables(Duration retention, long memory, Duration grace) {
        return new Resumables(new Resume(retention, memory, grace, null), noted::add);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String fields(String block) {
        byte[] b = bytes("xx" + block);
        return new String(Resumable.fields(b, 2, b.length - 2), StandardCharsets.UTF_8);
    }

    @Test
    void theUpstreamsIdLinesAreDroppedAndEverythingElseKept() {
        assertEquals("data: a\n", fields("data: a\n\n"));
        assertEquals("data: a\nretry: 5\n", fields("id: 7\ndata: a\nretry: 5\n\n"));
        assertEquals("event: e\ndata: a\n", fields("event: e\nid\ndata: a\nid: 8\n\n"));
        // Not id fields: another name, or "id" inside a value.
        assertEquals("idx: 1\ndata: id: 2\n", fields("idx: 1\ndata: id: 2\n\n"));
    }

    @Test
    void idsAreUnguessableAndEventsNumberedFromOne() {
        try (Resumables all = resumables(Duration.ofMinutes(1), 1 << 20, Duration.ofMinutes(1))) {
            Resumable a = all.open("r", null);
            Resumable b = all.open("r", null);
            assertTrue(a.id().matches("[A-Za-z0-9_-]{22}"), a.id());
            assertFalse(a.id().equals(b.id()));
            assertEquals(1, a.appendFields(bytes("data: x\n")));
            assertEquals(2, a.appendFields(bytes("data: y\n")));
            assertArrayEquals(bytes("id: " + a.id() + ":2\n\n"), a.idBlock(2));
        }
    }

    @Test
    void aNewReaderEndsTheOlderOne() throws Exception {
        try (Resumables all = resumables(Duration.ofMinutes(1), 1 << 20, Duration.ofMinutes(1))) {
            Resumable stream = all.open("r", null);
            CountDownLatch ended = new CountDownLatch(1);
            Resumable.Reader older = stream.attach(ended::countDown);
            Resumable.Reader newer = stream.attach(() -> { });
            assertTrue(older.ended());
            assertFalse(newer.ended());
            assertTrue(ended.await(1, TimeUnit.SECONDS));
            assertEquals("takeover", noted.poll(1, TimeUnit.SECONDS));
            // A reader waiting on the log is woken to see it.
            assertEquals(new ReplayLog.Entries(List.of()),
                    stream.log().read(0, Duration.ofSeconds(10), older::ended));
        }
    }

    @Test
    void withNoReaderForTheGraceTheUpstreamIsAbandoned() throws Exception {
        try (Resumables all = resumables(Duration.ofMinutes(1), 1 << 20, Duration.ofMillis(50))) {
            Resumable stream = all.open("r", null);
            CountDownLatch abandoned = new CountDownLatch(1);
            stream.bind(abandoned::countDown, () -> { });
            assertTrue(abandoned.await(10, TimeUnit.SECONDS));
            assertEquals("grace_expired", noted.poll(1, TimeUnit.SECONDS));
        }
    }

    @Test
    void aFinishedLogIsReadableForTheRetentionThenGone() throws Exception {
        try (Resumables all = resumables(Duration.ofMillis(50), 1 << 20, Duration.ofMinutes(1))) {
            Resumable stream = all.open("r", null);
            stream.appendFields(bytes("data: x\n"));
            stream.close(ReplayLog.Ending.DONE);
            ReplayLog.Read kept = stream.log().read(0, Duration.ZERO, () -> true);
            assertTrue(kept instanceof ReplayLog.Entries e && e.entries().size() == 1);
            assertEquals("expired", noted.poll(10, TimeUnit.SECONDS));
            assertEquals(new ReplayLog.Gone("expired"),
                    stream.log().read(0, Duration.ZERO, () -> true));
            assertEquals(new ReplayLog.Closed(ReplayLog.Ending.DONE),
                    stream.log().read(1, Duration.ZERO, () -> true));
            assertEquals(0, all.heldBytes());
            assertEquals(stream, all.find(stream.id())); // 410 rather than 404, for a while
        }
    }

    @Test
    void anEventTooLargeToHoldLeavesTheLogTrimmedRatherThanWithAGap() throws Exception {
        try (Resumables all = resumables(Duration.ofMinutes(1), 1 << 20, Duration.ofMinutes(1))) {
            Resumable stream = all.open("r", null);
            stream.appendFields(bytes("data: x\n"));
            assertEquals(2, stream.log().appendLost());
            assertEquals(new ReplayLog.Gone("trimmed"),
                    stream.log().read(1, Duration.ZERO, () -> true));
            assertEquals(3, stream.appendFields(bytes("data: z\n")));
            assertTrue(stream.log().read(2, Duration.ZERO, () -> true)
                    instanceof ReplayLog.Entries e && e.entries().getFirst().n() == 3);
        }
    }

    @Test
    void aGatheredEventTakesFromItsCallersOwnOlderLogsAndElseIsRefused() throws Exception {
        try (Resumables all = resumables(Duration.ofMinutes(1), 10_000, Duration.ofMinutes(1))) {
            byte[] event = new byte[1_000 - MemoryLog.ENTRY_OVERHEAD]; // each costs 1,000
            Resumable bobs = all.open("r", "client:bob");
            for (int i = 0; i < 4; i++) {
                bobs.appendFields(event);
            }
            bobs.close(ReplayLog.Ending.DONE);
            Resumable alicesOlder = all.open("r", "client:alice");
            alicesOlder.appendFields(event);
            alicesOlder.appendFields(event);
            alicesOlder.close(ReplayLog.Ending.DONE);

            Resumable alices = all.open("r", "client:alice");
            assertTrue(alices.gather(3_500));
            assertEquals(9_500, all.heldBytes());
            // Past the bound: Alice, over her half, makes room from her own older log.
            assertTrue(alices.gather(1_000));
            assertEquals(new ReplayLog.Gone("evicted"),
                    alicesOlder.log().read(0, Duration.ZERO, () -> true));
            assertEquals(8_500, all.heldBytes());
            // Nothing more of hers to free, and Bob is within his half: refused, not taken.
            assertFalse(alices.gather(2_000));
            assertEquals(8_500, all.heldBytes());
            assertTrue(bobs.log().read(0, Duration.ZERO, () -> true)
                    instanceof ReplayLog.Entries e && e.entries().size() == 4);
            alices.gathered();
            assertEquals(4_000, all.heldBytes());
        }
    }
}
