package dev.sluice.shared;

import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.sluice.config.Sharing;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RedisServer;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.Streams;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * On a Redis Cluster of three masters made of local redis-server processes, admission works
 * unchanged: each client's keys share a hash tag, so each script touches one slot, and clients
 * land on different masters.
 */
class RedisClusterTest {

    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String WHOLE = "{\"model\":\"m\",\"stream\":false,\"messages\":[]}";

    @Test
    void sharedLimitsHoldOnAClusterOfThreeMasters() throws Exception {
        List<RedisServer> nodes = new ArrayList<>();
        Streams streams = new Streams();
        try (FakeUpstream upstream = new FakeUpstream(streams);
                TestClient client = new TestClient()) {
            for (int i = 0; i < 3; i++) {
                nodes.add(RedisServer.startClusterNode());
            }
            RedisServer.createCluster(nodes);
            Sharing sharing = new Sharing("127.0.0.1", nodes.get(1).port(), false, 0, null,
                    null, "sluice:", Duration.ofMillis(250), Duration.ofSeconds(30), true, false);
            try (RunningSluice a = new RunningSluice(TestConfig.relayingTo(upstream.baseUrl(),
                            null).access(SharedLimitsTest.access()).sharing(sharing).build());
                    RunningSluice b = new RunningSluice(TestConfig.relayingTo(upstream.baseUrl(),
                            null).access(SharedLimitsTest.access()).sharing(sharing).build())) {
                String streamsToken = "slc_shared-two-streams";
                for (RunningSluice sluice : List.of(a, b)) {
                    TestClient.Stream open = client.stream(chat(sluice), STREAM,
                            "Authorization", "Bearer " + streamsToken);
                    assertEquals(200, open.response().getStatus());
                    open.nextEvent();
                }
                assertEquals(429, client.post(chat(a), STREAM, "Authorization",
                        "Bearer " + streamsToken).getStatus());
                assertEquals(429, client.post(chat(b), STREAM, "Authorization",
                        "Bearer " + streamsToken).getStatus());

                String budgetToken = "slc_shared-fifty-tokens";
                assertEquals(200, client.post(chat(b), WHOLE, "Authorization",
                        "Bearer " + budgetToken).getStatus());
                assertEquals(429, client.post(chat(a), WHOLE, "Authorization",
                        "Bearer " + budgetToken).getStatus());

                assertEquals(200, client.post(chat(a), WHOLE, "Authorization",
                        "Bearer slc_shared-three-a-minute").getStatus());
                // Two clients' keys live on different masters: the cluster really is used.
                assertNotEquals(slot("sluice:{caller:" + sha256("client:two-streams")
                        + "}:leases", nodes), slot("sluice:{caller:" + sha256(
                                "client:three-a-minute") + "}:bucket", nodes));
                streams.finish();
            }
        } finally {
            streams.finish();
            for (RedisServer node : nodes) {
                node.close();
            }
        }
    }

    private static URI chat(RunningSluice sluice) {
        return sluice.uri("/v1/chat/completions");
    }

    /** The port of the master that holds {@code key}. */
    private static int slot(String key, List<RedisServer> nodes) throws Exception {
        for (RedisServer node : nodes) {
            if (node.cli("exists", key).strip().equals("1")) {
                return node.port();
            }
        }
        throw new AssertionError("no node holds " + key);
    }
}
