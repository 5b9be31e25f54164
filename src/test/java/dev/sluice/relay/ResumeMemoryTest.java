package dev.sluice.relay;

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
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Test;

/**
 * How resumable streams share the memory bound: each caller makes room from its own logs when
 * over its share.
 */
class ResumeMemoryTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALICE = "slc_alice-token-0123456789";
    private static final String BOB = "slc_bob-token-0123456789";

    private static String sha256(String token) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(token.getBytes(StandardCharsets.UTF_8)));
    }

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
}
