package dev.sluice.shared;

import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RedisServer;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.SharedRig;
import dev.sluice.testing.Streams;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two Sluice instances sharing one real redis-server count a caller's resumes and stops in one
 * bucket, and its readers against one bound, wherever each lands.
 */
class SharedResumeLimitsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String RATED = "slc_shared-resumes-three-a-minute";
    private static final String FREE = "slc_shared-resumes-unlimited";
    private static final String WHOLE = "data: {\"n\":1}\n\ndata: [DONE]\n\n";

    @RegisterExtension
    final SharedRig rig = new SharedRig();
    private final Streams held = new Streams();
    private RedisServer redis;
    private TestClient client;

    @BeforeEach
    void start() {
        redis = rig.redis();
        client = rig.client();
    }

    @AfterEach
    void stop() throws Exception {
        held.finish();
    }

    private RunningSluice sluice(FakeUpstream upstream, int maxReaders) throws Exception {
        RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(upstream.baseUrl(), null)
                .access(new Access(Map.of(
                        sha256(RATED), new Client("three-a-minute", Set.of(), Set.of(), 0, 3, 0),
                        sha256(FREE), new Client("unlimited", Set.of(), Set.of(), 0, 0, 0)),
                        null, null, Set.of()))
                .maxReaders(maxReaders)
                .sharing(rig.sharing(Duration.ofMillis(250)))
                .build());
        rig.closing(sluice);
        return sluice;
    }

    private FakeUpstream upstream(FakeUpstream.Script script) throws Exception {
        FakeUpstream upstream = new FakeUpstream(script);
        rig.closing(upstream);
        return upstream;
    }

    private ContentResponse resume(RunningSluice sluice, String id, String token)
            throws Exception {
        return client.getWith(sluice.uri("/v1/streams/" + id), "Authorization",
                "Bearer " + token);
    }

    @Test
    void resumesOnEitherInstanceSpendOneBucket() throws Exception {
        FakeUpstream upstream = upstream(exchange -> exchange.startStream().write(WHOLE).end());
        RunningSluice a = sluice(upstream, 16);
        RunningSluice b = sluice(upstream, 16);
        TestClient.Stream first = client.stream(a.uri("/v1/chat/completions"), CHAT,
                "Authorization", "Bearer " + RATED, "X-Sluice-Resumable", "true");
        assertEquals(200, first.response().getStatus());
        first.rest();
        String id = first.response().getHeaders().get("X-Sluice-Stream-Id");

        assertEquals(200, resume(a, id, RATED).getStatus());
        assertEquals(200, resume(b, id, RATED).getStatus());
        assertEquals(204, client.delete(a.uri("/v1/streams/" + id), "Authorization",
                "Bearer " + RATED).getStatus());
        ContentResponse refused = resume(b, id, RATED);
        assertEquals(429, refused.getStatus(), refused.getContentAsString());
        assertTrue(refused.getContentAsString().contains("more than 3 resumes and stops per "
                + "minute"), refused.getContentAsString());
        assertTrue(Long.parseLong(refused.getHeaders().get("Retry-After")) >= 1);
    }

    @Test
    void aReaderOnOneInstanceCountsAgainstTheBoundOnTheOther() throws Exception {
        FakeUpstream upstream = upstream(held);
        RunningSluice a = sluice(upstream, 1);
        RunningSluice b = sluice(upstream, 1);
        String one = started(a);
        String two = started(a);
        TestClient.Stream reader = client.streamGet(a.uri("/v1/streams/" + one),
                "Authorization", "Bearer " + FREE);
        assertEquals(200, reader.response().getStatus());

        ContentResponse refused = resume(b, two, FREE);
        assertEquals(429, refused.getStatus(), refused.getContentAsString());
        assertTrue(refused.getContentAsString().contains("1 stream is being read already"),
                refused.getContentAsString());
        held.finish();
        reader.rest();
    }

    private String started(RunningSluice sluice) throws Exception {
        ContentResponse started = client.post(sluice.uri("/v1/streams"), CHAT, "Authorization",
                "Bearer " + FREE);
        assertEquals(201, started.getStatus(), started.getContentAsString());
        return JSON.readTree(started.getContent()).path("id").asText();
    }
}
