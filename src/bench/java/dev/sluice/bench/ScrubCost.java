package dev.sluice.bench;

import dev.sluice.config.Secret;
import dev.sluice.observe.KeyScrubber;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * What the look for the configured keys costs, which Sluice adds to every event it writes:
 * paced-1000's events, as the pacing upstream writes them and the relay holds them, and one
 * event of 64 KiB, are looked through for no key, the one key and the pool of three that the
 * bench starts Sluice with, and ten keys; this thread's CPU per event is printed for each. Too
 * small a cost for {@code make bench} to resolve (CPU per event moves by microseconds from run
 * to run), so it is measured apart, in one process. {@code make bench-scrub}.
 */
public final class ScrubCost {

    /** The key {@code Targets} starts a single-key Sluice with. */
    private static final String KEY = "sk-bench-placeholder-not-a-key";
    private static final int ROUNDS = 5;
    private static final long EVENTS = 4_000_000;

    private ScrubCost() {}

    public static void main(String[] args) {
        byte[][] paced = new byte[64][];
        PacingUpstream.Frame frame = new PacingUpstream.Frame(4711, 1_765_000_000L);
        for (int i = 0; i < paced.length; i++) {
            int n = frame.event(i, 1_765_000_000_000_000L + 50_000L * i);
            paced[i] = Arrays.copyOf(frame.payload(), n);
        }
        byte[] big = new byte[64 << 10];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                    .charAt((i * 7 + i / 64) % 64);
        }
        System.arraycopy("data: ".getBytes(StandardCharsets.US_ASCII), 0, big, 0, 6);
        big[big.length - 2] = '\n';
        big[big.length - 1] = '\n';
        List<List<String>> pools = List.of(List.of(), List.of(KEY), BenchKeys.KEYS,
                tenKeys());
        System.out.printf("paced-1000 event: %d bytes; large event: %d bytes; %d rounds, "
                + "the median shown%n", paced[0].length, big.length, ROUNDS);
        for (List<String> pool : pools) {
            KeyScrubber keys = new KeyScrubber(pool.stream().map(Secret::new).toList());
            double small = median(keys, new byte[][] {paced[0]}, paced, EVENTS);
            double large = median(keys, new byte[][] {big}, new byte[][] {big}, EVENTS / 256);
            System.out.printf("%2d keys: %7.1f ns CPU per paced-1000 event, %7.3f ns per byte"
                    + " of a large one%n", pool.size(), small, large / big.length);
        }
    }

    /** The median over {@link #ROUNDS} of the CPU nanoseconds one look takes, after a warm-up. */
    private static double median(KeyScrubber keys, byte[][] warm, byte[][] events, long n) {
        look(keys, warm, n);
        look(keys, events, n);
        double[] rounds = new double[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            rounds[r] = look(keys, events, n);
        }
        Arrays.sort(rounds);
        return rounds[ROUNDS / 2];
    }

    private static double look(KeyScrubber keys, byte[][] events, long n) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long found = 0;
        long start = threads.getCurrentThreadCpuTime();
        for (long i = 0; i < n; i++) {
            byte[] event = events[(int) (i & (events.length - 1))];
            if (keys.scrubbed(event, 0, event.length) != null) {
                found++;
            }
        }
        long spent = threads.getCurrentThreadCpuTime() - start;
        if (found != 0) {
            throw new IllegalStateException("a key was found in an event without one");
        }
        return (double) spent / n;
    }

    private static List<String> tenKeys() {
        return IntStream.range(0, 10)
                .mapToObj(i -> "sk-proj-bench" + i + "-Tn4mQ8wE2rY6uI0oP3aSdF5gH7jK").toList();
    }
}
