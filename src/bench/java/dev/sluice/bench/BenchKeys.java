package dev.sluice.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The three placeholder keys a pooled Sluice target is started with, and the pacing upstream's
 * rate limit on one of them: every {@link #EVERY}th request carrying {@link #THROTTLED} is
 * answered 429 with {@code retry-after-ms: }{@link #COOLDOWN_MS}.
 */
final class BenchKeys {

    /**
     * What the name of a Sluice target started with the pool ends with ({@code sluice-g1-keys}),
     * and that of a pooled scenario ({@code paced-1000-keys}, the load of paced-1000).
     */
    static final String SUFFIX = "-keys";
    static final List<String> KEYS = List.of("sk-bench-pool-a-not-a-key",
            "sk-bench-pool-b-not-a-key", "sk-bench-pool-c-not-a-key");
    /** No other target sends it: the load client and the peers send no key of the pool. */
    static final String THROTTLED = KEYS.get(1);
    static final int EVERY = 3;
    static final int COOLDOWN_MS = 200;
    /** The pacing upstream answers this with how many 429s it has sent since it started. */
    static final String COUNT_PATH = "/bench/rate-limited";

    private BenchKeys() {}

    /** The pool as Sluice reads it from {@code OPENAI_API_KEY}: the keys, comma-separated. */
    static String variable() {
        return String.join(",", KEYS);
    }

    /** The pool and its rate limit, for the report's list of targets. */
    static String setup() {
        return "OPENAI_API_KEY: " + KEYS.size() + " keys, comma-separated; the upstream answers "
                + "429 (retry-after-ms: " + COOLDOWN_MS + ") to one in every " + EVERY
                + " requests made with " + THROTTLED;
    }

    static boolean pooled(String target) {
        return target.endsWith(SUFFIX);
    }

    /** The single-key Sluice target, or scenario, that a pooled one is compared with. */
    static String singleKey(String pooled) {
        return pooled.substring(0, pooled.length() - SUFFIX.length());
    }

    /** How many requests the pacing upstream on {@code port} has answered 429 so far. */
    static long rateLimited(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + COUNT_PATH + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            // The upstream closes a connection whose client has finished: the answer ends there.
            socket.shutdownOutput();
            String answer = new String(socket.getInputStream().readNBytes(256),
                    StandardCharsets.US_ASCII);
            int body = answer.indexOf("\r\n\r\n");
            if (!answer.startsWith("HTTP/1.1 200") || body < 0) {
                throw new IOException("the pacing upstream did not count its 429s: " + answer);
            }
            return Long.parseLong(answer.substring(body + 4).trim());
        }
    }
}
