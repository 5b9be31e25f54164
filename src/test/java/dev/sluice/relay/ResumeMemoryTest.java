package dev.sluice.relay;

import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Resume;
import dev.sluice.resume.Resumables;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.ReleasedEvents;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import dev.sluice.web.Endpoints;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Test;

/**
 * How resumable streams share the memory bound: each caller makes room from its own logs when
 * over its share, and an event gathered whole for a log counts as it arrives, up to a cap.
 */
class ResumeMemoryTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALICE = "slc_alice-token-0123456789";
    private static final String BOB = "slc_bob-token-0123456789";
    private static final String CHAT = "{\"model\":\"gpt-test\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"draw\"}]}";

    private static Access twoClients() throws Exception {
        return new Access(Map.of(
                sha256(ALICE), new Client("alice", Set.of(), Set.of(), 0, 0, 0),
                sha256(BOB), new Client("bob", Set.of(), Set.of(), 0, 0, 0)),
                null, null, Set.of());
    }

    @Test
    void oneCallersHugeStreamTakesItsOwnOlderLogsAndLeavesAnotherCallersAlone()
            throws Exception {
        // Each event costs 100 bytes and its entry; a stream asks for "n" of them.
        String event = "data: " + "x".repeat(93) + "\n\n";
        try (FakeUpstream upstream = new FakeUpstream(exchange -> {
                    int n = JSON.readTree(exchange.request().body()).path("n").asInt();
                    exchange.startStream();
                    for (int i = 0; i < n; i++) {
                        exchange.write(event);
                    }
                    exchange.write("data: [DONE]\n\n").end();
                });
                RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(
                        upstream.baseUrl(), null).access(twoClients()).resumable()
                        .resume(new Resume(Duration.ofMinutes(5), 6_000,
                                Duration.ofSeconds(60), null)).build());
                TestClient client = new TestClient()) {
            Resumables resumables = sluice.server().getBean(Endpoints.class).resumables();
            String bobs = finished(client, sluice, BOB, 9);
            String alicesOlder = finished(client, sluice, ALICE, 9);
            // 400 events: more than the whole bound, the older logs of both being its oldest.
            String alicesHuge = finished(client, sluice, ALICE, 400);
            assertTrue(resumables.heldBytes() <= 6_000, resumables.heldBytes() + " bytes");

            ContentResponse bob = resume(client, sluice, BOB, bobs, 0);
            assertEquals(200, bob.getStatus(), bob.getContentAsString());
            assertEquals(10, bob.getContentAsString().split("\n\n").length);
            ContentResponse older = resume(client, sluice, ALICE, alicesOlder, 0);
            assertEquals(410, older.getStatus());
            assertTrue(older.getContentAsString().contains("evicted"),
                    older.getContentAsString());
            ContentResponse huge = resume(client, sluice, ALICE, alicesHuge, 0);
            assertEquals(410, huge.getStatus());
            assertTrue(huge.getContentAsString().contains("trimmed"), huge.getContentAsString());
            assertEquals(200, resume(client, sluice, ALICE, alicesHuge, 399).getStatus());
        }
    }

    /** Runs a resumable stream of {@code n} events as {@code token}'s to its end; its id. */
    private static String finished(TestClient client, RunningSluice sluice, String token,
            int n) throws Exception {
        TestClient.Stream stream = client.stream(sluice.uri("/v1/chat/completions"),
                "{\"model\":\"m\",\"stream\":true,\"n\":" + n + "}",
                "Authorization", "Bearer " + token);
        assertEquals(200, stream.response().getStatus());
        String id = stream.response().getHeaders().get("X-Sluice-Stream-Id");
        assertEquals(n + 1, ReleasedEvents.data(stream.rest()).size());
        return id;
    }

    private static ContentResponse resume(TestClient client, RunningSluice sluice, String token,
            String id, long after) throws Exception {
        return client.getWith(sluice.uri("/v1/streams/" + id), "Authorization",
                "Bearer " + token, "Last-Event-ID", id + ":" + after);
    }

    @Test
    void anEventGatheredForTheLogCountsAsItArrivesAndPastItsCapIsPassedOnUnlogged()
            throws Exception {
        // A bound of 1 MiB lets one gathered event take 64 KiB; beyond 4 KiB one is gathered.
        byte[] half = ("data: " + "x".repeat(40 << 10)).getBytes(StandardCharsets.US_ASCII);
        byte[] more = "y".repeat(40 << 10).getBytes(StandardCharsets.US_ASCII);
        CountDownLatch second = new CountDownLatch(1);
        CountDownLatch last = new CountDownLatch(1);
        try (FakeUpstream upstream = new FakeUpstream(exchange -> {
                    exchange.startStream().write(half);
                    assertTrue(second.await(30, TimeUnit.SECONDS));
                    exchange.write(more);
                    assertTrue(last.await(30, TimeUnit.SECONDS));
                    exchange.write("\n\ndata: [DONE]\n\n").end();
                });
                RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(
                        upstream.baseUrl(), null).resumable().maxLineBytes(4 << 10)
                        .resume(new Resume(Duration.ofMinutes(5), 1 << 20,
                                Duration.ofSeconds(60), null)).build());
                HttpClient http = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1).build();
                TestClient client = new TestClient()) {
            Resumables resumables = sluice.server().getBean(Endpoints.class).resumables();
            HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(
                    sluice.uri("/v1/chat/completions")).header("Content-Type",
                    "application/json").POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            String id = response.headers().firstValue("X-Sluice-Stream-Id").orElseThrow();
            try (InputStream body = response.body()) {
                byte[] priming = ("id: " + id + ":0\n\n").getBytes(StandardCharsets.US_ASCII);
                assertArrayEquals(priming, body.readNBytes(priming.length));
                // Gathered before it is passed on: what the client has, the bound counts.
                assertArrayEquals(half, body.readNBytes(half.length));
                long gathering = resumables.heldBytes();
                assertTrue(gathering >= half.length, gathering + " bytes");
                second.countDown();
                assertArrayEquals(more, body.readNBytes(more.length));
                // Past 64 KiB: no longer gathered, and no longer counted.
                assertEquals(0, resumables.heldBytes());
                last.countDown();
                assertEquals("\nid: " + id + ":1\n\ndata: [DONE]\nid: " + id + ":2\n\n",
                        new String(body.readAllBytes(), StandardCharsets.US_ASCII));
            }
            ContentResponse before = client.getWith(sluice.uri("/v1/streams/" + id),
                    "Last-Event-ID", id + ":0");
            assertEquals(410, before.getStatus());
            assertTrue(before.getContentAsString().contains("trimmed"),
                    before.getContentAsString());
            assertEquals("data: [DONE]\nid: " + id + ":2\n\n", client.getWith(
                    sluice.uri("/v1/streams/" + id), "Last-Event-ID", id + ":1")
                    .getContentAsString());
        }
    }
}
