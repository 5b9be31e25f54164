package dev.sluice.relay;

import dev.sluice.config.Secret;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The program {@link GiantEventsMemoryTest} runs in a JVM of its own with a small heap: an
 * upstream, Sluice and clients, with that many streams of giant events at once, each checked
 * byte for byte as it is read (nothing holds a whole body; probes between events let through).
 * It exits 0 when all arrived whole.
 */
final class GiantEventsInSmallHeap {

    /** Bytes of one event Sluice may hold here: the streams' holds must fit the heap together. */
    static final int HELD_BYTES = 64 << 10;

    private GiantEventsInSmallHeap() {}

    public static void main(String[] args) throws Exception {
        int streams = Integer.parseInt(args[0]);
        byte[] base64 = GiantEvents.base64Stream(7 << 20);
        byte[] multibyte = GiantEvents.multibyteStream(600_000);
        Queue failures = new Queue();
        try (FakeUpstream upstream = new FakeUpstream(exchange -> {
            if (exchange.request().bodyText().contains("multibyte")) {
                GiantEvents.play(exchange, multibyte, 4_099);
            } else {
                GiantEvents.play(exchange, base64, 65_537);
            }
        }); RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(upstream.baseUrl(),
                new Secret(RunningSluice.KEY)).maxLineBytes(HELD_BYTES).build());
                HttpClient client = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1).build()) {
            URI chat = sluice.uri("/v1/chat/completions");
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                boolean text = i % 2 == 1;
                threads.add(Thread.ofVirtual().start(() -> failures.addIfFailed(
                        () -> receive(client, chat, text ? "multibyte" : "image",
                                text ? multibyte : base64))));
            }
            for (Thread thread : threads) {
                thread.join();
            }
        }
        failures.forEach(System.err::println);
        System.out.println(streams - failures.size() + " of " + streams + " streams whole");
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    /** Null when the body arrived as {@code expected}, else what went wrong. */
    private static String receive(HttpClient client, URI chat, String prompt, byte[] expected)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(chat).header("Content-Type",
                "application/json").POST(HttpRequest.BodyPublishers.ofString(
                "{\"model\":\"gpt-test\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"" + prompt + "\"}]}")).build();
        HttpResponse<InputStream> response = client.send(request,
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            return "status " + response.statusCode();
        }
        byte[] buffer = new byte[8192];
        long at = 0;
        boolean inProbe = false;
        try (InputStream body = response.body()) {
            for (int n = body.read(buffer); n >= 0; n = body.read(buffer)) {
                for (int i = 0; i < n; i++) {
                    if (inProbe) {
                        if (buffer[i] != '\n') {
                            return "the probe before byte " + at + " differs";
                        }
                        inProbe = false;
                    } else if (buffer[i] == ':' && afterBlankLine(expected, at)) {
                        inProbe = true; // a probe into a silence between two events
                    } else if (at >= expected.length || buffer[i] != expected[(int) at++]) {
                        return "byte " + (at - 1) + " differs";
                    }
                }
            }
        }
        return at == expected.length ? null : "ended after " + at + " of " + expected.length;
    }

    /** Whether {@code at} is just after a blank line, where Sluice may write a probe. */
    private static boolean afterBlankLine(byte[] expected, long at) {
        return at >= 2 && at <= expected.length && expected[(int) at - 1] == '\n'
                && expected[(int) at - 2] == '\n';
    }

    /** What went wrong in the streams. */
    private static final class Queue extends ConcurrentLinkedQueue<String> {

        interface Check {
            String run() throws Exception;
        }

        void addIfFailed(Check check) {
            try {
                String failure = check.run();
                if (failure != null) {
                    add(failure);
                }
            } catch (Exception | OutOfMemoryError e) {
                add(e.toString());
            }
        }
    }
}
