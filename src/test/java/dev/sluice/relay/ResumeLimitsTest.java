package dev.sluice.relay;

import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.Streams;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.net.URI;
import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Resumes and stops are metered: {@code GET} and {@code DELETE <prefix>/streams/{id}} spend a
 * bucket of their own, as large as the client's requests per minute, and a caller reads at most
 * {@code SLUICE_MAX_READERS} streams at once.
 */
class ResumeLimitsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String RATED = "slc_resume-three-a-minute-0123456789";
    private static final String FREE = "slc_resume-unlimited-0123456789";
    private static final String OTHER = "slc_resume-another-client-0123456789";
    private static final String WHOLE = "data: {\"n\":1}\n\ndata: [DONE]\n\n";

    @RegisterExtension
    final Relay relay = new Relay();

    private static Access access() throws Exception {
        return new Access(Map.of(
                sha256(RATED), new Client("three-a-minute", Set.of(), Set.of(), 0, 3, 0),
                sha256(FREE), new Client("unlimited", Set.of(), Set.of(), 0, 0, 0),
                sha256(OTHER), new Client("other", Set.of(), Set.of(), 0, 0, 0)),
                null, null, Set.of());
    }

    /** Sluice relaying to an upstream with {@code script}: its {@code /v1/streams}. */
    private URI streams(FakeUpstream.Script script, int maxReaders) throws Exception {
        FakeUpstream upstream = relay.upstream(script);
        URI chat = relay.start(TestConfig.relayingTo(upstream.baseUrl(), null).access(access())
                .maxReaders(maxReaders).build());
        return chat.resolve("/v1/streams");
    }

    private URI streams() throws Exception {
        return streams(exchange -> exchange.startStream().write(WHOLE).end(), 16);
    }

    /** A resumable stream of {@code token}'s caller, read to its end: its id. */
    private String finished(URI streams, String token) throws Exception {
        TestClient.Stream stream = relay.client().stream(streams.resolve("/v1/chat/completions"),
                CHAT, "Authorization", "Bearer " + token, "X-Sluice-Resumable", "true");
        assertEquals(200, stream.response().getStatus());
        stream.rest();
        return stream.response().getHeaders().get("X-Sluice-Stream-Id");
    }

    private ContentResponse resume(URI streams, String id, String token) throws Exception {
        return relay.client().getWith(URI.create(streams + "/" + id), "Authorization",
                "Bearer " + token);
    }

    private static void assertTooMuch(ContentResponse refused, String words) throws Exception {
        assertEquals(429, refused.getStatus(), refused.getContentAsString());
        assertNotNull(refused.getHeaders().get("Retry-After"));
        assertTrue(Long.parseLong(refused.getHeaders().get("Retry-After")) >= 1);
        JsonNode error = JSON.readTree(refused.getContent()).path("error");
        assertEquals("rate_limit_error", error.path("type").asText());
        assertTrue(error.path("message").asText().contains(words), error.toString());
    }

    @Test
    void aResumePastTheCallersBucketGets429() throws Exception {
        URI streams = streams();
        String id = finished(streams, RATED);
        for (int i = 0; i < 3; i++) {
            ContentResponse replayed = resume(streams, id, RATED);
            assertEquals(200, replayed.getStatus(), replayed.getContentAsString());
            assertTrue(replayed.getContentAsString().contains("[DONE]"));
        }
        assertTooMuch(resume(streams, id, RATED), "more than 3 resumes and stops per minute");
        assertTooMuch(relay.client().delete(URI.create(streams + "/" + id), "Authorization",
                "Bearer " + RATED), "resumes and stops per minute");
        // A bucket of its own: the client's requests are not spent by its resumes.
        ContentResponse request = relay.client().post(streams.resolve("/v1/chat/completions"),
                CHAT, "Authorization", "Bearer " + RATED);
        assertEquals(200, request.getStatus(), request.getContentAsString());
    }

    @Test
    void stopsSpendTheSameBucket() throws Exception {
        URI streams = streams();
        String id = finished(streams, RATED);
        for (int i = 0; i < 3; i++) {
            assertEquals(204, relay.client().delete(URI.create(streams + "/" + id),
                    "Authorization", "Bearer " + RATED).getStatus());
        }
        assertTooMuch(resume(streams, id, RATED), "more than 3 resumes and stops per minute");
    }

    @Test
    void aSignedUrlsReadsAreCountedAsTheStreamOwners() throws Exception {
        URI streams = streams();
        ContentResponse started = relay.client().post(streams, CHAT, "Authorization",
                "Bearer " + RATED);
        assertEquals(201, started.getStatus(), started.getContentAsString());
        URI url = streams.resolve(JSON.readTree(started.getContent()).path("url").asText());
        for (int i = 0; i < 3; i++) {
            assertEquals(200, relay.client().get(url).getStatus());
        }
        assertTooMuch(relay.client().get(url), "more than 3 resumes and stops per minute");
    }

    @Test
    void aCallerReadsAtMostMaxReadersStreamsAtOnce() throws Exception {
        Streams held = new Streams();
        URI streams = streams(held, 2);
        try {
            String[] ids = new String[3];
            for (int i = 0; i < ids.length; i++) {
                ContentResponse started = relay.client().post(streams, CHAT, "Authorization",
                        "Bearer " + FREE);
                assertEquals(201, started.getStatus(), started.getContentAsString());
                ids[i] = JSON.readTree(started.getContent()).path("id").asText();
            }
            TestClient.Stream one = read(streams, ids[0], FREE);
            TestClient.Stream two = read(streams, ids[1], FREE);
            assertTooMuch(resume(streams, ids[2], FREE), "2 streams are being read already");
            assertTrue(resume(streams, ids[2], FREE).getContentAsString()
                    .contains("SLUICE_MAX_READERS"));
            // Per caller: another client reads its own stream meanwhile.
            ContentResponse other = relay.client().post(streams, CHAT, "Authorization",
                    "Bearer " + OTHER);
            TestClient.Stream theirs = read(streams, JSON.readTree(other.getContent())
                    .path("id").asText(), OTHER);

            held.finish(); // the two readers reach their streams' ends and let go
            one.rest();
            two.rest();
            theirs.rest();
            ContentResponse third = resume(streams, ids[2], FREE);
            assertEquals(200, third.getStatus(), third.getContentAsString());
            assertTrue(third.getContentAsString().contains("[DONE]"));
        } finally {
            held.finish();
        }
    }

    private TestClient.Stream read(URI streams, String id, String token) throws Exception {
        TestClient.Stream reader = relay.client().streamGet(URI.create(streams + "/" + id),
                "Authorization", "Bearer " + token);
        assertEquals(200, reader.response().getStatus());
        return reader;
    }
}
