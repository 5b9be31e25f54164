package dev.sluice.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Sharing;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RedisServer;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.SluiceProcess;
import dev.sluice.testing.Streams;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import dev.sluice.testing.Tokens;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * An instance killed with SIGKILL gives back nothing, so its clients' slots are held by leases it
 * no longer renews: they free themselves within the lease time, and not before it.
 */
class LeaseExpiryTest {

    private static final String TOKEN = "slc_lease-two-streams";
    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final Duration LEASE = Duration.ofSeconds(2);

    @Test
    void theLeasesOfAKilledInstanceExpireWithinTheLeaseTime() throws Exception {
        Streams streams = new Streams();
        Path dir = Files.createTempDirectory("sluice-lease");
        Path access = dir.resolve("access.properties");
        Files.writeString(access, "client.app.token-sha256 = " + Tokens.sha256(TOKEN)
                + "\nclient.app.max-streams = 2\n");
        try (RedisServer redis = RedisServer.start();
                FakeUpstream upstream = new FakeUpstream(streams);
                TestClient client = new TestClient();
                RunningSluice survivor = new RunningSluice(TestConfig.relayingTo(
                        upstream.baseUrl(), null)
                        .access(new Access(Map.of(Tokens.sha256(TOKEN), new Client(
                                "app", Set.of(), Set.of(), 2, 0, 0)), null, null, Set.of()))
                        .sharing(new Sharing("127.0.0.1", redis.port(), false, 0, null, null,
                                "sluice:", Duration.ofMillis(250), LEASE, true, false))
                        .build());
                SluiceProcess doomed = SluiceProcess.start(Map.of("PATH", System.getenv("PATH"),
                        "SLUICE_ACCESS", access.toString(), "SLUICE_REDIS_URL", redis.url(),
                        "SLUICE_REDIS_LEASE", "2s", "OPENAI_BASE_URL",
                        upstream.baseUrl().toString(), "OPENAI_API_KEY", "sk-lease-test-key"))) {
            URI there = doomed.awaitListening().resolve("v1/chat/completions");
            URI here = survivor.uri("/v1/chat/completions");
            for (int i = 0; i < 2; i++) {
                TestClient.Stream stream = client.stream(there, STREAM, "Authorization",
                        "Bearer " + TOKEN);
                assertEquals(200, stream.response().getStatus(), doomed.output());
                stream.nextEvent();
            }
            // Longer than a lease: the doomed instance's renewals keep its streams counted.
            long renewedUntil = System.nanoTime() + LEASE.multipliedBy(3).toNanos() / 2;
            while (System.nanoTime() < renewedUntil) {
                assertEquals(429, client.post(here, STREAM, "Authorization", "Bearer " + TOKEN)
                        .getStatus(), "a renewed lease expired");
                Thread.sleep(200); // a poll's pace
            }

            doomed.kill();
            long killed = System.nanoTime();
            int status;
            do {
                status = client.post(here, "{\"model\":\"m\",\"stream\":false,"
                        + "\"messages\":[]}", "Authorization", "Bearer " + TOKEN).getStatus();
                assertTrue(System.nanoTime() - killed < LEASE.plusMillis(1500).toNanos(),
                        "the dead instance's leases outlived the lease time");
                Thread.sleep(50); // a poll's pace
            } while (status == 429);
            assertEquals(200, status);
        } finally {
            streams.finish();
        }
    }
}
