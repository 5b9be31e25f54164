package dev.sluice.shared;

import static dev.sluice.testing.ReleasedEvents.take;
import static dev.sluice.testing.ReleasedEvents.whole;
import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Resume;
import dev.sluice.config.Sharing;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RedisServer;
import dev.sluice.testing.ReleasedEvents;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.SluiceProcess;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A holder alive but standing still (SIGSTOP, as a long GC pause or a starved machine would
 * hold it) is not taken for dead: a reader following its stream on another instance keeps the
 * stream, and gets every event once the holder goes on.
 */
class StarvedHolderTest {

    private static final String TOKEN = "slc_starved-holder-client";
    private static final String CHAT = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    /**
     * Two seconds longer than a holder's liveness key lasted before (3 s), so that a reader
     * looking once a second finds it gone, whatever the phase of the beat when the pause came.
     */
    private static final Duration STOOD_STILL = Duration.ofSeconds(5);
    private static final int EVENTS = 4;

    @Test
    void aReaderElsewhereKeepsTheStreamOfAHolderThatStoodStillForSeconds() throws Exception {
        ReleasedEvents script = new ReleasedEvents(EVENTS);
        Path dir = Files.createTempDirectory("sluice-starved");
        Path access = dir.resolve("access.properties");
        Files.writeString(access, "client.app.token-sha256 = " + sha256(TOKEN) + "\n");
        try (RedisServer redis = RedisServer.start();
                FakeUpstream upstream = new FakeUpstream(script);
                TestClient client = new TestClient();
                RunningSluice reader = new RunningSluice(TestConfig.relayingTo(
                        upstream.baseUrl(), null).resumable().resume(Resume.DEFAULTS)
                        .access(new Access(Map.of(sha256(TOKEN), new Client("app", Set.of(),
                                Set.of(), 0, 0, 0)), null, null, Set.of()))
                        .sharing(new Sharing("127.0.0.1", redis.port(), false, 0, null, null,
                                "sluice:", Duration.ofMillis(250), Duration.ofSeconds(30), true,
                                false))
                        .build());
                SluiceProcess holder = SluiceProcess.start(Map.of("PATH", System.getenv("PATH"),
                        "SLUICE_ACCESS", access.toString(), "SLUICE_REDIS_URL", redis.url(),
                        "OPENAI_BASE_URL", upstream.baseUrl().toString(),
                        "OPENAI_API_KEY", "sk-starved-test-key"))) {
            URI there = holder.awaitListening().resolve("v1/chat/completions");
            TestClient.Stream first = client.stream(there, CHAT, "Authorization",
                    "Bearer " + TOKEN, "X-Sluice-Resumable", "true");
            assertEquals(200, first.response().getStatus(), holder.output());
            String id = first.response().getHeaders().get("X-Sluice-Stream-Id");
            script.release(1);
            take(first, id, 0, 1);
            first.abort();
            TestClient.Stream following = client.streamGet(reader.uri("/v1/streams/" + id),
                    "Authorization", "Bearer " + TOKEN, "Last-Event-ID", id + ":1");
            assertEquals(200, following.response().getStatus());

            holder.pause();
            try {
                // The pause itself: the reader looks at the stream every second meanwhile.
                Thread.sleep(STOOD_STILL.toMillis());
            } finally {
                holder.resume();
            }
            script.release(EVENTS);
            assertEquals(whole(EVENTS).subList(1, EVENTS + 1),
                    take(following, id, 1, EVENTS), "the stream was taken for lost");
        }
    }
}
