package dev.sluice.relay;

import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Resume;
import dev.sluice.config.Secret;
import dev.sluice.resume.Resumables;
import dev.sluice.resume.StreamTickets;
import dev.sluice.sse.SseEvent;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.ReleasedEvents;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import dev.sluice.web.Endpoints;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Test;

/**
 * Who may resume or stop a stream, the signed URLs of {@code POST .../streams} for clients that
 * cannot send a token, and what a resume gets once the log no longer holds its events: here
 * against the built-in simulated upstream, as on a machine without a key.
 */
class ResumeAccessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALICE = "slc_alice-token-0123456789";
    private static final String BOB = "slc_bob-token-0123456789";
    private static final Secret SIGNING = new Secret("a-test-signing-key-of-32-chars-or-more");
    private static final String CHAT = "{\"model\":\"gpt-test\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";

    private static Access twoClients() throws Exception {
        return new Access(Map.of(
                sha256(ALICE), new Client("alice", Set.of(), Set.of(), 0, 0, 0),
                sha256(BOB), new Client("bob", Set.of(), Set.of(), 0, 0, 0)),
                null, null, Set.of());
    }

    private static String bearer(String token) {
        return "Bearer " + token;
    }

    @Test
    void aSignedUrlReadsItsStreamWithoutATokenAndResumes() throws Exception {
        try (RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(null, null)
                .access(twoClients()).resume(new Resume(Duration.ofMinutes(5), 64L << 20,
                        Duration.ofSeconds(60), SIGNING)).build());
                TestClient client = new TestClient()) {
            ContentResponse started = client.post(sluice.uri("/v1/streams"), CHAT,
                    "Authorization", bearer(ALICE));
            assertEquals(201, started.getStatus(), started.getContentAsString());
            JsonNode body = JSON.readTree(started.getContentAsString());
            String id = body.path("id").asText();
            String url = body.path("url").asText();
            assertEquals(id, started.getHeaders().get("X-Sluice-Stream-Id"));
            // Relative: Sluice cannot know the scheme, host and port the client called.
            assertTrue(url.startsWith("/v1/streams/" + id + "?token="), url);
            assertFalse(url.contains(ALICE));

            // EventSource: a GET without headers, then its own reconnect with Last-Event-ID.
            TestClient.Stream first = client.streamGet(sluice.uri(url));
            assertEquals(200, first.response().getStatus());
            assertEquals(new SseEvent(null, null, id + ":0", null), first.next());
            SseEvent one = first.nextEvent();
            SseEvent two = first.nextEvent();
            assertEquals(id + ":2", two.id());
            first.abort();
            TestClient.Stream again = client.streamGet(sluice.uri(url),
                    "Last-Event-ID", two.id());
            List<String> seen = new ArrayList<>(List.of(one.data(), two.data()));
            seen.addAll(ReleasedEvents.data(again.rest()));
            assertEquals("[DONE]", seen.getLast());

            // The same answer, uninterrupted, for comparison: the simulated text is canned.
            TestClient.Stream whole = client.stream(sluice.uri("/v1/chat/completions"), CHAT,
                    "Authorization", bearer(ALICE));
            List<String> expected = ReleasedEvents.data(whole.rest());
            assertEquals(expected.size(), seen.size());
            for (int i = 0; i < seen.size(); i++) {
                // Chunk ids and times differ between two answers; the text must not.
                assertEquals(content(expected.get(i)), content(seen.get(i)), "event " + i);
            }
        }
    }

    private static String content(String data) throws Exception {
        return data.equals("[DONE]") ? data
                : JSON.readTree(data).path("choices").path(0).path("delta").toString();
    }

    @Test
    void aForgedExpiredOrOtherStreamsSignedUrlIs401() throws Exception {
        try (RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(null, null)
                .access(twoClients()).resume(new Resume(Duration.ofMinutes(5), 64L << 20,
                        Duration.ofSeconds(60), SIGNING)).build());
                TestClient client = new TestClient()) {
            String a = JSON.readTree(client.post(sluice.uri("/v1/streams"), CHAT,
                    "Authorization", bearer(ALICE)).getContentAsString()).path("id").asText();
            JsonNode b = JSON.readTree(client.post(sluice.uri("/v1/streams"), CHAT,
                    "Authorization", bearer(ALICE)).getContentAsString());
            String otherTicket = b.path("url").asText().split("\\?token=")[1];
            String expired = new StreamTickets(SIGNING, Duration.ofSeconds(-10)).issue(a);
            String forged = new StreamTickets(new Secret("another-key-of-thirty-two-chars!!"),
                    Duration.ofMinutes(5)).issue(a);
            for (String ticket : List.of(otherTicket, expired, forged, "1.x", "garbage")) {
                ContentResponse refused = client.get(URI.create(sluice.uri("/v1/streams/" + a)
                        + "?token=" + ticket));
                assertEquals(401, refused.getStatus(), ticket);
                assertTrue(refused.getContentAsString().contains("\"error\""));
                assertFalse(refused.getContentAsString().contains(ticket), ticket);
            }
            // The ticket reads, and only reads: a DELETE needs the caller's token.
            String url = b.path("url").asText();
            assertEquals(401, client.delete(sluice.uri(url)).getStatus());
            stopAll(client, sluice, a, b.path("id").asText());
        }
    }

    private static void stopAll(TestClient client, RunningSluice sluice, String... ids)
            throws Exception {
        for (String id : ids) {
            assertEquals(204, client.delete(sluice.uri("/v1/streams/" + id),
                    "Authorization", bearer(ALICE)).getStatus());
        }
    }

    @Test
    void browsersOnAllowedOriginsMayResumeStopAndReadTheStreamId() throws Exception {
        try (RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(null, null)
                .corsOrigins("https://app.example.com").build());
                TestClient client = new TestClient()) {
            ContentResponse preflight = client.options(sluice.uri("/v1/streams/x"),
                    "Origin", "https://app.example.com",
                    "Access-Control-Request-Method", "DELETE",
                    "Access-Control-Request-Headers", "last-event-id,x-sluice-resumable");
            assertEquals(204, preflight.getStatus());
            assertTrue(preflight.getHeaders().get("Access-Control-Allow-Methods")
                    .contains("DELETE"));
            String allowed = preflight.getHeaders().get("Access-Control-Allow-Headers");
            assertTrue(allowed.contains("Last-Event-ID") && allowed.contains("X-Sluice-Resumable"),
                    allowed);
            ContentResponse started = client.post(sluice.uri("/v1/streams"), CHAT,
                    "Origin", "https://app.example.com");
            assertEquals(201, started.getStatus());
            assertTrue(started.getHeaders().get("Access-Control-Expose-Headers")
                    .contains("X-Sluice-Stream-Id"));
        }
    }

    @Test
    void anotherCallersStreamIsAsUnknownAsNone() throws Exception {
        try (RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(null, null)
                .access(twoClients()).build());
                TestClient client = new TestClient()) {
            String id = JSON.readTree(client.post(sluice.uri("/v1/streams"), CHAT,
                    "Authorization", bearer(ALICE)).getContentAsString()).path("id").asText();
            ContentResponse bobs = client.getWith(sluice.uri("/v1/streams/" + id),
                    "Authorization", bearer(BOB));
            ContentResponse none = client.getWith(sluice.uri("/v1/streams/"
                    + "AAAAAAAAAAAAAAAAAAAAAA"), "Authorization", bearer(BOB));
            assertEquals(404, bobs.getStatus());
            assertEquals(none.getContentAsString(), bobs.getContentAsString());
            assertEquals(404, client.delete(sluice.uri("/v1/streams/" + id),
                    "Authorization", bearer(BOB)).getStatus());
            assertEquals(401, client.get(sluice.uri("/v1/streams/" + id)).getStatus());
            TestClient.Stream alices = client.streamGet(sluice.uri("/v1/streams/" + id),
                    "Authorization", bearer(ALICE));
            assertEquals(200, alices.response().getStatus());
            assertEquals("[DONE]", ReleasedEvents.data(alices.rest()).getLast());
        }
    }

    @Test
    void finishedStreamsAreEvictedFirstAndALiveOneOverItsShareIsTrimmed() throws Exception {
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
                        upstream.baseUrl(), null).resumable().resume(new Resume(
                                Duration.ofMinutes(5), 3_000, Duration.ofSeconds(60), null))
                        .build());
                TestClient client = new TestClient()) {
            Resumables resumables = sluice.server().getBean(Endpoints.class).resumables();
            String a = finished(client, sluice, 9);
            assertEquals(200, client.getWith(sluice.uri("/v1/streams/" + a),
                    "Last-Event-ID", a + ":0").getStatus());
            String b = finished(client, sluice, 9); // with a's, more than the bound
            assertTrue(resumables.heldBytes() <= 3_000, resumables.heldBytes() + " bytes");
            ContentResponse evicted = client.getWith(sluice.uri("/v1/streams/" + a),
                    "Last-Event-ID", a + ":0");
            assertEquals(410, evicted.getStatus());
            assertTrue(evicted.getContentAsString().contains("evicted"),
                    evicted.getContentAsString());
            assertEquals(200, client.getWith(sluice.uri("/v1/streams/" + b),
                    "Last-Event-ID", b + ":0").getStatus());

            // A stream longer than the bound on its own loses its oldest events.
            String c = finished(client, sluice, 40);
            ContentResponse trimmed = client.getWith(sluice.uri("/v1/streams/" + c),
                    "Last-Event-ID", c + ":0");
            assertEquals(410, trimmed.getStatus());
            assertTrue(trimmed.getContentAsString().contains("trimmed"),
                    trimmed.getContentAsString());
            ContentResponse newest = client.getWith(sluice.uri("/v1/streams/" + c),
                    "Last-Event-ID", c + ":39");
            assertEquals(200, newest.getStatus());
            assertEquals(event.substring(0, event.length() - 1) + "id: " + c + ":40\n\n"
                    + "data: [DONE]\nid: " + c + ":41\n\n", newest.getContentAsString());
            assertTrue(resumables.heldBytes() <= 3_000, resumables.heldBytes() + " bytes");
        }
    }

    /** Runs a resumable stream of {@code n} events to its end; its id. */
    private static String finished(TestClient client, RunningSluice sluice, int n)
            throws Exception {
        TestClient.Stream stream = client.stream(sluice.uri("/v1/chat/completions"),
                "{\"model\":\"m\",\"stream\":true,\"n\":" + n + "}");
        String id = stream.response().getHeaders().get("X-Sluice-Stream-Id");
        assertEquals(n + 1, ReleasedEvents.data(stream.rest()).size());
        return id;
    }

    @Test
    void thousandsOfAbandonedStreamsStayWithinTheMemoryBound() throws Exception {
        long bound = 64 * 1024;
        try (RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(null, null)
                .resumable().resume(new Resume(Duration.ofMinutes(5), bound,
                        Duration.ofSeconds(60), null)).build());
                TestClient client = new TestClient()) {
            Resumables resumables = sluice.server().getBean(Endpoints.class).resumables();
            AtomicLong most = new AtomicLong();
            List<Thread> callers = new ArrayList<>();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 4; t++) {
                callers.add(Thread.ofVirtual().start(() -> {
                    try {
                        for (int i = 0; i < 500; i++) {
                            TestClient.Stream s = client.stream(
                                    sluice.uri("/v1/chat/completions"), CHAT);
                            s.nextEvent(); // the priming block; then the client goes
                            s.abort();
                            most.accumulateAndGet(resumables.heldBytes(), Math::max);
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread caller : callers) {
                caller.join(120_000);
            }
            assertTrue(failures.isEmpty(), failures.toString());
            assertTrue(resumables.known() >= 2000);
            assertTrue(most.get() <= bound, "held " + most.get() + " bytes");
            // The relay threads go on into their logs until each stream ends.
            sluice.assertNoStreamLeftOpen();
            assertTrue(resumables.heldBytes() <= bound, resumables.heldBytes() + " bytes");
        }
    }
}
