package dev.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.testing.SluiceProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The embedded server's warm-up: alive at once, not ready until its rehearsal through a private
 * copy of itself is over, and nothing of that rehearsal in the served instance's metrics or log.
 */
class WarmUpTest {

    /** A stream's log line. */
    private static final String TRANSCRIPT = "INFO  transcript";
    private static final Pattern WARMED = Pattern.compile("Warmed up in \\d+ ms \\((\\d+) "
            + "rehearsal calls on loopback, (\\d+) failed\\): ready");

    @Test
    void readyOnlyOnceWarmAndNoTraceOfTheRehearsal() throws Exception {
        // Long enough that the first look at /readyz comes well before the warm-up ends.
        try (SluiceProcess sluice = SluiceProcess.start(Map.of("PATH", System.getenv("PATH"),
                "SLUICE_WARM_UP", "10s", "SLUICE_SIMULATED_TOKEN_DELAY", "1ms"));
                HttpClient client = HttpClient.newHttpClient()) {
            URI base = sluice.awaitListening();

            assertEquals(200, get(client, base.resolve("/healthz")).statusCode());
            HttpResponse<String> warming = get(client, base.resolve("/readyz"));
            assertEquals(503, warming.statusCode(), sluice.output());
            assertEquals("{\"status\":\"warming up\"}", warming.body());

            var warmed = sluice.await(WARMED, 60);
            assertTrue(Integer.parseInt(warmed.group(1)) > 0, sluice.output());
            assertEquals("0", warmed.group(2), sluice.output());
            assertEquals(200, get(client, base.resolve("/readyz")).statusCode());
            assertEquals(List.of(), lines(sluice.output(), TRANSCRIPT),
                    "the rehearsal's streams were logged");
            assertEquals(List.of(), lines(sluice.output(), "Stopping"),
                    "the private copy's stop was logged");
            assertEquals(List.of(), lines(sluice.output(), "Stopped after"),
                    "the private copy's stop was logged from the watchdog's thread");
            String metrics = get(client, base.resolve("/metrics")).body();
            assertFalse(metrics.contains("sluice_streams_total{"), metrics);

            HttpResponse<String> stream = client.send(HttpRequest.newBuilder(
                    base.resolve("/v1/chat/completions")).header("Content-Type",
                    "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"model\":"
                    + "\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
                    + "\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(stream.body().endsWith("data: [DONE]\n\n"), stream.body());
            sluice.await(Pattern.compile(TRANSCRIPT), 60);
            assertEquals(1, lines(sluice.output(), TRANSCRIPT).size(), sluice.output());
            metrics = get(client, base.resolve("/metrics")).body();
            assertTrue(metrics.lines().anyMatch(line -> line.startsWith("sluice_streams_total{")
                    && line.endsWith(" 1.0")), metrics);
        }
    }

    @Test
    void withoutAWarmUpReadyAtOnce() throws Exception {
        try (SluiceProcess sluice = SluiceProcess.start(Map.of("PATH", System.getenv("PATH"),
                "SLUICE_WARM_UP", "0s"));
                HttpClient client = HttpClient.newHttpClient()) {
            URI base = sluice.awaitListening();

            assertEquals(200, get(client, base.resolve("/readyz")).statusCode());
            assertFalse(sluice.output().contains("Warmed up"), sluice.output());
        }
    }

    private static List<String> lines(String output, String containing) {
        return output.lines().filter(line -> line.contains(containing)).toList();
    }

    private static HttpResponse<String> get(HttpClient client, URI uri) throws Exception {
        return client.send(HttpRequest.newBuilder(uri).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
