package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Streams of giant events at once through Sluice in a JVM of its own with a heap that could not
 * hold their bodies: what a stream holds is bounded, and so is what resumable ones gather.
 */
class GiantEventsMemoryTest {

    @Test
    void fiftyStreamsOfGiantEventsPassThroughSmallHeap() throws Exception {
        // 64 MB could not hold even the bodies of ten of them.
        run("-Xmx64m", GiantEventsInSmallHeap.class, 50);
    }

    @Test
    void twelveResumableStreamsOfOneEventOf50MbEachPassThroughSmallHeap() throws Exception {
        // Gathered whole for their logs, as they were, they would need 600 MB of the 256.
        run("-Xmx256m", GatheredEventsInSmallHeap.class, 12);
    }

    private static void run(String heap, Class<?> program, int streams) throws Exception {
        Path log = Files.createTempFile("giant-events", ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(List.of(java, heap,
                "-cp", System.getProperty("java.class.path"),
                program.getName(), Integer.toString(streams)))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            // A bound on a test that would otherwise hang, not a measure of speed.
            boolean exited = child.waitFor(5, TimeUnit.MINUTES);
            assertTrue(exited, () -> "still running after 5 minutes: " + read(log));
            assertEquals(0, child.exitValue(), () -> read(log));
        } finally {
            child.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
