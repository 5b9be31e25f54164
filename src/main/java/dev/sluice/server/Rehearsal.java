package dev.sluice.server;

import dev.sluice.config.Route;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Streams made-up requests through Sluice's own path on loopback, as clients would, for a
 * bounded time: every route answered by the simulated upstream, in its dialect, plain,
 * resumable, as plain text and as a whole answer, from several clients at once. The training
 * run of the start-up cache rehearses, so that the cache holds the classes of the whole path and,
 * from JDK 25, the method profiles that let a new process compile its hot code sooner.
 */
final class Rehearsal {

    /** One request of the rehearsal. */
    private record Call(String path, String body, String accept, boolean resumable) {}

    private static final int CLIENTS = 32;
    private static final Duration CALL_LIMIT = Duration.ofSeconds(10);
    private static final String QUESTION = "How does a streaming relay pass events on?";

    private Rehearsal() {}

    /** How a rehearsal went: its calls, and those of them not answered 200 and read whole. */
    record Rehearsed(int calls, int failed) {}

    /**
     * Rehearses against the server at {@code base} for {@code length}, each client at least one
     * call. Routes with an upstream of their own are left out: nothing leaves the machine.
     */
    static Rehearsed run(URI base, List<Route> routes, Duration length)
            throws InterruptedException {
        List<Call> calls = new ArrayList<>();
        for (Route route : routes) {
            if (route.simulated() && route.serving().exposed()) {
                calls.addAll(calls(route));
            }
        }
        if (calls.isEmpty()) {
            return new Rehearsed(0, 0);
        }
        long end = System.nanoTime() + length.toNanos();
        AtomicInteger done = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CALL_LIMIT).build()) {
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                int first = i;
                threads.add(Thread.ofVirtual().name("sluice-rehearsal").start(() -> {
                    int n = first;
                    do {
                        done.incrementAndGet();
                        if (!call(client, base, calls.get(n++ % calls.size()))) {
                            failed.incrementAndGet();
                        }
                    } while (System.nanoTime() < end && !Thread.currentThread().isInterrupted());
                }));
            }
            for (Thread thread : threads) {
                thread.join();
            }
        }
        return new Rehearsed(done.get(), failed.get());
    }

    private static List<Call> calls(Route route) {
        String prefix = route.prefix();
        return switch (route.dialect()) {
            case "openai-chat" -> variants(prefix + "/chat/completions", "{\"model\":\"rehearsal\","
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"" + QUESTION + "\"}]");
            case "openai-responses" -> variants(prefix + "/responses",
                    "{\"model\":\"rehearsal\",\"input\":\"" + QUESTION + "\"");
            case "anthropic-messages" -> variants(prefix + "/v1/messages", "{\"model\":"
                    + "\"rehearsal\",\"max_tokens\":256,\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"" + QUESTION + "\"}]");
            default -> List.of(); // the simulated upstream speaks these three alone
        };
    }

    /** @param opening the body without its closing brace, so the stream fields can be added */
    private static List<Call> variants(String path, String opening) {
        String stream = opening + ",\"stream\":true}";
        return List.of(new Call(path, stream, "text/event-stream", false),
                new Call(path, stream, "text/event-stream", true),
                new Call(path, stream, "text/plain", false),
                new Call(path, stream, "text/event-stream", false),
                new Call(path, opening + ",\"stream\":false}", "application/json", false));
    }

    /** True when the call was answered 200 and read to its end. */
    private static boolean call(HttpClient client, URI base, Call call) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(call.path()))
                .timeout(CALL_LIMIT).header("Content-Type", "application/json")
                .header("Accept", call.accept())
                .POST(HttpRequest.BodyPublishers.ofString(call.body()));
        if (call.resumable()) {
            request.header("X-Sluice-Resumable", "true");
        }
        try {
            HttpResponse<InputStream> answer = client.send(request.build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = answer.body()) {
                body.transferTo(OutputStream.nullOutputStream());
            }
            return answer.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
