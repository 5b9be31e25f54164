package dev.sluice.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.config.Resume;
import dev.sluice.config.Secret;
import dev.sluice.config.Sharing;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RedisServer;
import dev.sluice.testing.ReleasedEvents;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * On a Redis Cluster of three masters made of local redis-server processes, a resumable stream
 * relayed by one instance resumes through another unchanged: each stream's keys share a hash
 * tag, so each script touches one slot, and a publish reaches a subscriber on any node.
 */
class RedisClusterResumeTest {

    @Test
    void aStreamResumesThroughTheOtherInstanceOnAClusterOfThreeMasters() throws Exception {
        List<RedisServer> nodes = new ArrayList<>();
        ReleasedEvents script = new ReleasedEvents(SharedResumeTest.EVENTS);
        try (FakeUpstream upstream = new FakeUpstream(script);
                TestClient client = new TestClient()) {
            for (int i = 0; i < 3; i++) {
                nodes.add(RedisServer.startClusterNode());
            }
            RedisServer.createCluster(nodes);
            Sharing sharing = new Sharing("127.0.0.1", nodes.get(2).port(), false, 0, null,
                    null, "sluice:", Duration.ofMillis(250), Duration.ofSeconds(30), true, false);
            TestConfig config = TestConfig.relayingTo(upstream.baseUrl(),
                    new Secret(RunningSluice.KEY)).resumable()
                    // Looks a minute apart: the reader is live by the announcements alone.
                    .resume(new Resume(Duration.ofMinutes(5), 64L << 20, Duration.ofSeconds(60),
                            null, Resume.MAX_EVENTS, Duration.ofMinutes(1)))
                    .sharing(sharing);
            try (RunningSluice a = new RunningSluice(config.build());
                    RunningSluice b = new RunningSluice(config.build())) {
                TestClient.Stream first = client.stream(a.uri("/v1/chat/completions"),
                        SharedResumeTest.CHAT);
                String id = first.response().getHeaders().get("X-Sluice-Stream-Id");
                script.release(2);
                List<String> seen = new ArrayList<>(ReleasedEvents.take(first, id, 0, 2));
                first.abort();
                script.release(1);
                TestClient.Stream resumed = client.streamGet(b.uri("/v1/streams/" + id),
                        "Last-Event-ID", id + ":2");
                assertEquals(200, resumed.response().getStatus());
                seen.addAll(ReleasedEvents.take(resumed, id, 2, 1));
                // The stream's channel is a shard channel (Redis 7+), heard by both instances on
                // the master of its slot, and no classic channel.
                String channel = "sluice:{stream:" + id + "}";
                long shard = 0;
                long classic = 0;
                for (RedisServer node : nodes) {
                    shard += subscribers(node.cli("pubsub", "shardnumsub", channel));
                    classic += subscribers(node.cli("pubsub", "numsub", channel));
                }
                assertEquals(2, shard, "shard subscriptions to " + channel);
                assertEquals(0, classic, "classic subscriptions to " + channel);
                // Live through the other instance, woken by a message published on the cluster.
                for (int n = 4; n <= SharedResumeTest.EVENTS + 1; n++) {
                    script.release(1);
                    seen.addAll(SharedResumeTest.within(resumed, id, n - 1));
                }
                assertEquals(ReleasedEvents.whole(SharedResumeTest.EVENTS), seen);
            }
        } finally {
            for (RedisServer node : nodes) {
                node.close();
            }
        }
    }

    /** The count in redis-cli's answer to PUBSUB NUMSUB or SHARDNUMSUB: channel, then count. */
    private static long subscribers(String answer) {
        String[] lines = answer.strip().split("\\R");
        return Long.parseLong(lines[lines.length - 1].strip());
    }
}
