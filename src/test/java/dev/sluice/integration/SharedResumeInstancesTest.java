package dev.sluice.integration;

import static dev.sluice.testing.ReleasedEvents.data;
import static dev.sluice.testing.ReleasedEvents.take;
import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.sse.SseItem;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.ReleasedEvents;
import dev.sluice.testing.RedisServer;
import dev.sluice.testing.SluiceProcess;
import dev.sluice.testing.TestClient;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Three Sluice processes behind Debian's nginx (round-robin) and one redis-server: a resumable
 * stream relayed by instance A is resumed through nginx on the others, event for event as the
 * uninterrupted stream; a stop sent to C cancels A's upstream; and once A is killed, a resume
 * of its stream gets what was logged, then an in-band error and the end, never a hang.
 */
@Tag("integration")
class SharedResumeInstancesTest {

    private static final String TOKEN = "slc_instances-resume-client";
    private static final String CHAT = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final int EVENTS = 8;

    @Test
    void aStreamOfOneInstanceResumesStopsAndOutlivesItsRelayThroughTheOthers()
            throws Exception {
        AtomicReference<ReleasedEvents> current = new AtomicReference<>();
        Path dir = Workspace.fresh("shared-resume-instances");
        Path access = dir.resolve("access.properties");
        Files.writeString(access, "client.app.token-sha256 = " + sha256(TOKEN)
                + "\ntrusted-proxies = 127.0.0.1\n");
        List<SluiceProcess> sluices = new ArrayList<>();
        try (RedisServer redis = RedisServer.start();
                FakeUpstream upstream = new FakeUpstream(e -> current.get().answer(e));
                TestClient client = new TestClient()) {
            for (int i = 0; i < 3; i++) {
                sluices.add(SluiceProcess.start(Map.of("PATH", System.getenv("PATH"),
                        "SLUICE_ACCESS", access.toString(), "SLUICE_REDIS_URL", redis.url(),
                        "SLUICE_RESUME_SECRET", "the-same-signing-secret-on-every-instance",
                        "OPENAI_BASE_URL", upstream.baseUrl().toString(),
                        "OPENAI_API_KEY", "sk-instances-test-key")));
            }
            List<URI> bases = new ArrayList<>();
            List<Integer> ports = new ArrayList<>();
            for (SluiceProcess sluice : sluices) {
                URI base = sluice.awaitListening();
                bases.add(base);
                ports.add(base.getPort());
            }
            try (Nginx nginx = Nginx.startInstances("shared-resume-nginx", ports)) {
                Instances on = new Instances(client, bases, nginx);

                // The stream as it is when nothing interrupts it.
                ReleasedEvents whole = new ReleasedEvents(EVENTS);
                current.set(whole);
                TestClient.Stream uninterrupted = on.open(nginx.uri("/"));
                String wholeId = id(uninterrupted);
                whole.release(EVENTS + 1);
                List<String> expected = data(uninterrupted.rest());
                assertEquals(EVENTS + 1, expected.size(), expected.toString());
                assertTrue(wholeId != null);

                // Started on A, dropped, resumed through nginx on each instance in turn.
                ReleasedEvents resumed = new ReleasedEvents(EVENTS);
                current.set(resumed);
                TestClient.Stream first = on.open(bases.get(0));
                String id = id(first);
                resumed.release(2);
                List<String> seen = new ArrayList<>(take(first, id, 0, 2));
                first.abort();
                for (int n = 3; n <= 5; n++) {
                    TestClient.Stream again = on.resume(nginx.uri("/"), id, n - 1);
                    resumed.release(1);
                    seen.addAll(take(again, id, n - 1, 1));
                    again.abort();
                }
                TestClient.Stream last = on.resume(nginx.uri("/"), id, 5);
                resumed.release(EVENTS + 1 - 5);
                seen.addAll(data(last.rest()));
                assertEquals(expected, seen);

                // A stop sent to C reaches the upstream held by A.
                ReleasedEvents stopped = new ReleasedEvents(EVENTS);
                current.set(stopped);
                TestClient.Stream held = on.open(bases.get(0));
                String stoppedId = id(held);
                stopped.release(1);
                take(held, stoppedId, 0, 1);
                assertEquals(204, client.delete(on.stream(bases.get(2), stoppedId),
                        "Authorization", "Bearer " + TOKEN).getStatus());
                assertTrue(stopped.cancelled.await(10, TimeUnit.SECONDS),
                        "the upstream held by A was not stopped");

                // A dies: a resume through B gets what was logged, then the error and the end.
                ReleasedEvents orphan = new ReleasedEvents(EVENTS);
                current.set(orphan);
                TestClient.Stream doomed = on.open(bases.get(0));
                String doomedId = id(doomed);
                orphan.release(3);
                take(doomed, doomedId, 0, 3);
                sluices.get(0).kill();
                TestClient.Stream afterDeath = on.resume(bases.get(1), doomedId, 1);
                BlockingQueue<List<SseItem>> rest = new LinkedBlockingQueue<>();
                Thread.ofVirtual().start(() -> {
                    try {
                        rest.add(afterDeath.rest());
                    } catch (IOException e) {
                        rest.add(List.of());
                    }
                });
                List<SseItem> end = rest.poll(30, TimeUnit.SECONDS);
                assertNotNull(end, "the resume of a dead instance's stream hung");
                List<String> got = data(end);
                assertEquals(4, got.size(), got.toString());
                assertEquals(expected.subList(1, 3), got.subList(0, 2));
                assertTrue(got.get(2).contains("stream_lost"), got.get(2));
                assertEquals("[DONE]", got.get(3));
            }
        } finally {
            for (SluiceProcess sluice : sluices) {
                sluice.close();
            }
        }
    }

    /** Requests to the instances, one by one or through nginx. */
    private record Instances(TestClient client, List<URI> bases, Nginx nginx) {

        TestClient.Stream open(URI base) throws Exception {
            TestClient.Stream stream = client.stream(base.resolve("/v1/chat/completions"), CHAT,
                    "Authorization", "Bearer " + TOKEN, "X-Sluice-Resumable", "true");
            assertEquals(200, stream.response().getStatus());
            return stream;
        }

        URI stream(URI base, String id) {
            return base.resolve("/v1/streams/" + id);
        }

        TestClient.Stream resume(URI base, String id, long after) throws Exception {
            TestClient.Stream stream = client.streamGet(stream(base, id), "Authorization",
                    "Bearer " + TOKEN, "Last-Event-ID", id + ":" + after);
            assertEquals(200, stream.response().getStatus());
            return stream;
        }
    }

    private static String id(TestClient.Stream stream) {
        return stream.response().getHeaders().get("X-Sluice-Stream-Id");
    }
}
