package dev.sluice.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The stop-the-world pauses a JVM target logged with {@link #FLAG} (every safepoint, a garbage
 * collector's pauses among them), read back for one measured window.
 */
final class Pauses {

    /** One safepoint: when it ended (epoch ms), what it was for, how long threads stood. */
    record Pause(long atMillis, String operation, double millis) {}

    // [1796085321802ms] Safepoint "G1CollectForAllocation", Time since last: ..., Total: 6754951 ns
    private static final Pattern LINE = Pattern.compile(
            "^\\[(\\d+)ms\\] Safepoint \"([^\"]+)\".*?Total: (\\d+) ns");

    private Pauses() {}

    /** The flag that makes a JVM log its pauses to {@code file}, stamped with epoch ms. */
    static String flag(Path file) {
        return "-Xlog:safepoint:file=" + file + ":timemillis";
    }

    /** The pauses logged from {@code fromMillis} to {@code toMillis}, or null without a log. */
    static List<Pause> between(Path file, long fromMillis, long toMillis) {
        if (file == null) {
            return null;
        }
        List<Pause> pauses = new ArrayList<>();
        try (var lines = Files.lines(file)) {
            lines.forEach(line -> {
                Matcher m = LINE.matcher(line);
                if (m.find()) {
                    long at = Long.parseLong(m.group(1));
                    if (at >= fromMillis && at <= toMillis) {
                        pauses.add(new Pause(at, m.group(2), Long.parseLong(m.group(3)) / 1e6));
                    }
                }
            });
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return pauses;
    }

    /** The longest of {@code pauses}, or null when there is none. */
    static Pause longest(List<Pause> pauses) {
        Pause longest = null;
        for (Pause pause : pauses) {
            if (longest == null || pause.millis() > longest.millis()) {
                longest = pause;
            }
        }
        return longest;
    }
}
