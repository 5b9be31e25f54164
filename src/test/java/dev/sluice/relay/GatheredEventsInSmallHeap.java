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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The program {@link GiantEventsMemoryTest} runs in a JVM of its own with a small heap for
 * resumable streams: that many at once, each with one event of 50 MB, which Sluice would gather
 * whole for the log; each client checks its stream byte for byte as it reads (ids included,
 * probes between events let through), then resumes from before the event and must get 410. It
 * exits 0 when all went so.
 */
final class GatheredEventsInSmallHeap {

    private GatheredEventsInSmallHeap() {}

    public static void main(String[] args) throws Exception {
        int streams = Integer.parseInt(args[0]);
        byte[] body = GiantEvents.base64Stream(50 << 20);
        // The event's field line, up to and with its LF; the blank line and [DONE] follow.
        int eventEnd = indexOf(body, "\n\ndata: [DONE]") + 1;
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        try (FakeUpstream upstream = new FakeUpstream(
                exchange -> GiantEvents.play(exchange, body, 65_537));
                RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(upstream.baseUrl(),
                        new Secret(RunningSluice.KEY)).resumable().build());
                HttpClient client = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1).build()) {
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        String failure = receiveAndResume(client, sluice, body, eventEnd);
                        if (failure != null) {
                            failures.add(failure);
                        }
                    } catch (Exception | OutOfMemoryError e) {
                        failures.add(e.toString());
                    }
                }));
            }
            for (Thread thread : threads) {
                thread.join();
            }
        }
        failures.forEach(System.err::println);
        System.out.println(streams - failures.size() + " of " + streams + " streams whole");
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    /** Null when the stream arrived whole and a resume from before its event got 410. */
    private static String receiveAndResume(HttpClient client, RunningSluice sluice, byte[] body,
            int eventEnd) throws IOException, InterruptedException {
        HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(
                sluice.uri("/v1/chat/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-test\",\"stream\":"
                        + "true,\"messages\":[{\"role\":\"user\",\"content\":\"draw\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            return "status " + response.statusCode();
        }
        String id = response.headers().firstValue("X-Sluice-Stream-Id").orElse("?");
        Expected expected = new Expected(List.of(Part.of("id: " + id + ":0\n\n"),
                new Part(body, eventEnd), Part.of("id: " + id + ":1\n\n"),
                Part.of("data: [DONE]\nid: " + id + ":2\n\n")));
        byte[] buffer = new byte[8192];
        try (InputStream in = response.body()) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                String differs = expected.check(buffer, n);
                if (differs != null) {
                    return id + ": " + differs;
                }
            }
        }
        if (!expected.done()) {
            return id + ": ended after " + expected.at + " bytes";
        }
        URI stream = sluice.uri("/v1/streams/" + id);
        HttpResponse<String> before = client.send(HttpRequest.newBuilder(stream)
                .header("Last-Event-ID", id + ":0").build(), HttpResponse.BodyHandlers.ofString());
        if (before.statusCode() != 410 || !before.body().contains("trimmed")) {
            return id + ": a resume from before the event got " + before.statusCode() + " "
                    + before.body();
        }
        HttpResponse<String> after = client.send(HttpRequest.newBuilder(stream)
                .header("Last-Event-ID", id + ":1").build(), HttpResponse.BodyHandlers.ofString());
        if (after.statusCode() != 200 || !after.body().equals("data: [DONE]\nid: " + id
                + ":2\n\n")) {
            return id + ": a resume from the event got " + after.statusCode() + " "
                    + after.body();
        }
        return null;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static int indexOf(byte[] body, String text) {
        byte[] needle = ascii(text);
        outer:
        for (int i = 0; i + needle.length <= body.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (body[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalArgumentException(text);
    }

    /** The first {@code length} bytes of {@code bytes}. */
    private record Part(byte[] bytes, int length) {
        static Part of(String text) {
            byte[] bytes = ascii(text);
            return new Part(bytes, bytes.length);
        }
    }

    /**
     * What one client must read: the priming id, the upstream's event line as it came (read
     * from the one copy of the body all share), Sluice's id for it, then [DONE] with its id.
     */
    private static final class Expected {

        private final List<Part> parts;
        private int part;
        private int within;
        private long at;
        /** A probe's colon was read: its LF comes next. */
        private boolean inProbe;

        Expected(List<Part> parts) {
            this.parts = parts;
        }

        /** Null while {@code n} bytes of {@code read} are as expected. */
        String check(byte[] read, int n) {
            for (int i = 0; i < n; i++, at++) {
                while (part < parts.size() && within == parts.get(part).length()) {
                    part++;
                    within = 0;
                }
                if (part == parts.size()) {
                    return "more than expected after byte " + at;
                }
                if (inProbe) {
                    if (read[i] != '\n') {
                        return "byte " + at + " differs (in a probe)";
                    }
                    inProbe = false;
                    continue;
                }
                if (within == 0 && betweenEvents() && read[i] == ':') {
                    inProbe = true;
                    continue;
                }
                if (read[i] != parts.get(part).bytes()[within]) {
                    return "byte " + at + " differs";
                }
                within++;
            }
            return null;
        }

        /**
         * Whether the next part begins a block, after a blank line: Sluice may write a probe
         * ({@code :} alone) there, into a silence of the upstream.
         */
        private boolean betweenEvents() {
            if (part == 0) {
                return false;
            }
            Part before = parts.get(part - 1);
            return before.length() >= 2 && before.bytes()[before.length() - 1] == '\n'
                    && before.bytes()[before.length() - 2] == '\n';
        }

        boolean done() {
            return part == parts.size() - 1 && within == parts.getLast().length();
        }
    }
}
