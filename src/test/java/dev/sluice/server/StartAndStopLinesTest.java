package dev.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What the jar says as a process of its own: the settings, each route in words, the addresses in
 * one aligned column; and, on SIGTERM, the start and the end of its graceful stop.
 */
class StartAndStopLinesTest {

    private static final String KEY = "sk-test-Zq8xR2vL9mW4nT7pK3jH5bF1";
    private static final String END = "\0end";
    private static final Pattern ADDRESS = Pattern.compile(
            " - {3}(\\S+(?: \\S+)?)( +)(http://127\\.0\\.0\\.1:\\d+/.*)$");

    @Test
    void startListsRoutesInWordsAndAddressesAlignedAndStopSaysHowItEnded() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(java.toString(), "-cp",
                System.getProperty("java.class.path"), SluiceServer.class.getName())
                .redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("SLUICE_")
                || name.startsWith("OPENAI_") || name.startsWith("ANTHROPIC_")
                || name.startsWith("JAVA_TOOL") || name.startsWith("JDK_JAVA"));
        builder.environment().put("SLUICE_PORT", "0");
        builder.environment().put("ANTHROPIC_API_KEY", KEY);
        Process process = builder.start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> copy(process, lines));
        try {
            List<String> start = new ArrayList<>();
            for (String line = next(lines); !line.contains("metrics "); line = next(lines)) {
                start.add(line);
            }
            String all = String.join("\n", start);
            assertTrue(all.contains("route anthropic /anthropic = anthropic-messages -> "
                    + "https://api.anthropic.com, key sha256:"), all);
            assertTrue(all.contains("; header anthropic-version: 2023-06-01"), all);
            assertFalse(all.contains("Policy[") || all.contains(KEY), all);
            // Only the route without a key answers from the simulated upstream, and it is named.
            assertTrue(all.contains("No key or base URL set for openai (/v1): answering from the "
                    + "built-in simulated upstream"), all);

            List<String> addresses = start.subList(start.indexOf(start.stream()
                    .filter(l -> l.contains("Sluice is listening on")).findFirst()
                    .orElseThrow()) + 1, start.size());
            int column = -1;
            for (String line : addresses) {
                Matcher address = ADDRESS.matcher(line);
                assertTrue(address.find(), line);
                int at = address.start(3);
                assertTrue(column == -1 || column == at, "not aligned:\n" + all);
                column = at;
            }
            assertEquals(4, addresses.size(), all);

            // SIGTERM, as systemd and docker stop send; Process.destroy would also close the
            // pipe that the stop's lines come through.
            process.toHandle().destroy();
            String stopping = next(lines);
            assertTrue(stopping.endsWith("Stopping: 0 streams in flight may finish within 30s; "
                    + "new requests get 503"), stopping);
            String stopped = next(lines);
            assertTrue(stopped.matches(".* Stopped after [0-9.]+s: no stream was in flight"),
                    stopped);
            assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        } finally {
            process.destroyForcibly();
        }
    }

    private static String next(BlockingQueue<String> lines) throws InterruptedException {
        String line = lines.poll(30, TimeUnit.SECONDS);
        assertNotNull(line, "Sluice said nothing more for 30 s");
        assertFalse(line.equals(END), "Sluice ended early");
        return line;
    }

    private static void copy(Process process, BlockingQueue<String> lines) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(
                process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lines.add(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            lines.add(END);
        }
    }
}
