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
 * Fifty streams of giant events at once through Sluice in a JVM of its own with a 64 MB heap,
 * which could not hold even the bodies of ten of them: what a stream holds is bounded.
 */
class GiantEventsMemoryTest {

    private static final int STREAMS = 50;

    @Test
    void fiftyStreamsOfGiantEventsPassThroughSmallHeap() throws Exception {
        Path log = Files.createTempFile("giant-events", ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(List.of(java, "-Xmx64m",
                "-cp", System.getProperty("java.class.path"),
                GiantEventsInSmallHeap.class.getName(), Integer.toString(STREAMS)))
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
