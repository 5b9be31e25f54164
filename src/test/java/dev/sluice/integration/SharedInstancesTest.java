package dev.sluice.integration;

import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RedisServer;
import dev.sluice.testing.SluiceProcess;
import dev.sluice.testing.Streams;
import dev.sluice.testing.TestClient;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Three Sluice processes behind Debian's nginx (round-robin, {@code sluice-instances.conf}) and
 * one redis-server: a client allowed two open streams gets 429 on its third, wherever each of
 * its requests lands.
 */
@Tag("integration")
class SharedInstancesTest {

    private static final String TOKEN = "slc_instances-two-streams";
    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";

    @Test
    void aClientAllowedTwoStreamsGetsItsThirdRefusedWhereverItLands() throws Exception {
        Streams streams = new Streams();
        Path dir = Workspace.fresh("shared-instances");
        Path access = dir.resolve("access.properties");
        Files.writeString(access, "client.app.token-sha256 = " + sha256(TOKEN)
                + "\nclient.app.max-streams = 2\ntrusted-proxies = 127.0.0.1\n");
        List<SluiceProcess> sluices = new ArrayList<>();
        try (RedisServer redis = RedisServer.start();
                FakeUpstream upstream = new FakeUpstream(streams);
                TestClient client = new TestClient()) {
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                SluiceProcess sluice = SluiceProcess.start(Map.of("PATH", System.getenv("PATH"),
                        "SLUICE_ACCESS", access.toString(), "SLUICE_REDIS_URL", redis.url(),
                        "OPENAI_BASE_URL", upstream.baseUrl().toString(),
                        "OPENAI_API_KEY", "sk-instances-test-key"));
                sluices.add(sluice);
            }
            for (SluiceProcess sluice : sluices) {
                ports.add(sluice.awaitListening().getPort());
            }
            try (Nginx nginx = Nginx.startInstances("shared-instances-nginx", ports)) {
                URI chat = nginx.uri("/v1/chat/completions");
                // Round-robin: the three requests land on three instances, the refused one too.
                for (int i = 0; i < 2; i++) {
                    TestClient.Stream stream = client.stream(chat, STREAM, "Authorization",
                            "Bearer " + TOKEN);
                    assertEquals(200, stream.response().getStatus());
                    stream.nextEvent();
                }
                for (int i = 0; i < 3; i++) {
                    assertEquals(429, client.post(chat, STREAM, "Authorization",
                            "Bearer " + TOKEN).getStatus(), "request " + (i + 3));
                }
                streams.finish();
            }
        } finally {
            streams.finish();
            for (SluiceProcess sluice : sluices) {
                sluice.close();
            }
        }
    }
}
