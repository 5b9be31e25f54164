package dev.sluice.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What reading the upstream alone costs, the half of relaying that Sluice cannot choose: the
 * pacing upstream's streams are read on virtual threads, once through the JDK HttpClient with
 * {@code ofInputStream()} as Sluice reads them, once through a plain blocking socket, and this
 * process's CPU per event is printed for each, beside the paced-1000 and firehose scenarios.
 * Nothing is parsed beyond finding the end of each event, so each number is a floor for a relay.
 * {@code make bench-upstream-read}.
 */
public final class UpstreamReadCost {

    private static final List<Scenario> SCENARIOS = List.of(
            Scenario.select("paced-1000").getFirst(), Scenario.select("firehose").getFirst());
    private static final byte[] LAST = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private UpstreamReadCost() {}

    public static void main(String[] args) throws Exception {
        // As Sluice's main sets it: 4 KiB read buffers instead of the JDK's 16 KiB.
        System.setProperty("jdk.httpclient.bufsize", "4096");
        Path dir = Files.createDirectories(Path.of(args.length > 0 ? args[0] : "target/bench"));
        try (Targets targets = Targets.upstreamOnly(dir);
                ExecutorService httpClientTasks = Executors.newVirtualThreadPerTaskExecutor();
                HttpClient client = HttpClient.newBuilder().executor(httpClientTasks).build()) {
            int port = targets.direct().port();
            for (Scenario scenario : SCENARIOS) {
                for (Reader reader : new Reader[] {
                        new Reader("JDK HttpClient", (s, p) -> viaHttpClient(client, s, p)),
                        new Reader("plain socket", UpstreamReadCost::viaSocket)}) {
                    run(reader, scenario, port); // warm-up, not reported
                    Measured m = run(reader, scenario, port);
                    System.out.printf("%-11s %-15s %,10d events ([DONE] included), %d streams "
                            + "failed  %6.2f us CPU per event%n", scenario.name(), reader.name(),
                            m.events(), m.failedStreams(), m.cpuMicrosPerEvent());
                }
            }
        }
    }

    private record Reader(String name, Opener opener) {}

    private record Measured(long events, int failedStreams, double cpuMicrosPerEvent) {}

    @FunctionalInterface
    private interface Opener {
        InputStream open(Scenario scenario, int port) throws IOException, InterruptedException;
    }

    /** Reads every stream of the scenario at once, each on its own virtual thread. */
    private static Measured run(Reader reader, Scenario scenario, int port) {
        long pid = ProcessHandle.current().pid();
        AtomicLong events = new AtomicLong();
        AtomicInteger failed = new AtomicInteger();
        double cpuBefore = Proc.cpuSeconds(pid);
        try (ExecutorService streams = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < scenario.streams(); i++) {
                streams.execute(() -> {
                    try (InputStream body = reader.opener().open(scenario, port)) {
                        events.addAndGet(countEvents(body));
                    } catch (IOException | InterruptedException e) {
                        failed.incrementAndGet();
                    }
                });
            }
        }
        double cpu = Proc.cpuSeconds(pid) - cpuBefore;
        return new Measured(events.get(), failed.get(), cpu * 1e6 / Math.max(1, events.get()));
    }

    /** Counts event ends (blank lines) up to the end of {@code data: [DONE]}. */
    private static long countEvents(InputStream body) throws IOException {
        byte[] buffer = new byte[4096];
        long ends = 0;
        int matched = 0; // of LAST, whose first byte occurs in it only once
        byte previous = 0;
        for (int n = body.read(buffer); n > 0; n = body.read(buffer)) {
            for (int i = 0; i < n; i++) {
                byte b = buffer[i];
                if (b == '\n' && previous == '\n') {
                    ends++;
                }
                matched = b == LAST[matched] ? matched + 1 : b == LAST[0] ? 1 : 0;
                if (matched == LAST.length) {
                    return ends;
                }
                previous = b;
            }
        }
        return ends;
    }

    private static InputStream viaHttpClient(HttpClient client, Scenario scenario, int port)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(LoadClient.body(scenario)))
                .build();
        return client.send(request, HttpResponse.BodyHandlers.ofInputStream()).body();
    }

    private static InputStream viaSocket(Scenario scenario, int port) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.getOutputStream().write(LoadClient.request(scenario, port));
        // Closing the stream closes the socket.
        return socket.getInputStream();
    }
}
