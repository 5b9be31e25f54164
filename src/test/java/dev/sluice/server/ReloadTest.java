package dev.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.sse.SseEvent;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.SluiceProcess;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.Tokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -HUP} makes the jar read its access file and SLUICE_KEYS_FILE again: a revoked
 * token is refused and a rotated key used from the next request, a stream in flight goes on,
 * and a reload that fails changes nothing and says why in one line.
 */
class ReloadTest {

    private static final String CHAT = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String OLD_KEY = "sk-test-old-Zq8xR2vL9mW4nT7pK3jH";
    private static final String NEW_KEY = "sk-test-new-Hb5fJ3kP7tN4wM9lV2xR";
    private static final String ALICE = "slc_alice-token-for-the-reload-test-0001";
    private static final String BOB = "slc_bob-token-for-the-reload-test-000002";

    @TempDir
    Path dir;

    @Test
    void aHangUpReloadsTheAccessFileAndTheKeysAndKeepsStreamsInFlight() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (FakeUpstream upstream = new FakeUpstream(exchange -> {
                    exchange.startStream().write("data: {\"n\":1}\n\n");
                    if (exchange.request().headers().get("authorization").contains(OLD_KEY)) {
                        assertTrue(release.await(30, TimeUnit.SECONDS));
                    }
                    exchange.write("data: {\"n\":2}\n\ndata: [DONE]\n\n").end();
                });
                TestClient client = new TestClient()) {
            Path access = dir.resolve("access.properties");
            Path keys = dir.resolve("keys.env");
            Files.writeString(access, "client.alice.token-sha256 = " + Tokens.sha256(ALICE) + "\n");
            writeKeys(keys, OLD_KEY);
            try (SluiceProcess sluice = SluiceProcess.start(Map.of("PATH", System.getenv("PATH"),
                    "SLUICE_ACCESS", access.toString(), "SLUICE_KEYS_FILE", keys.toString(),
                    "OPENAI_BASE_URL", upstream.baseUrl().toString()))) {
                var chat = sluice.awaitListening().resolve("v1/chat/completions");
                TestClient.Stream inFlight = client.stream(chat, CHAT, "Authorization",
                        "Bearer " + ALICE);
                assertEquals("{\"n\":1}", inFlight.nextEvent().data());
                assertTrue(upstream.takeRequest().headers().get("authorization")
                        .endsWith(OLD_KEY));

                Files.writeString(access, "client.bob.token-sha256 = " + Tokens.sha256(BOB)
                        + "\n");
                writeKeys(keys, NEW_KEY);
                sluice.signal("HUP");
                sluice.await(Pattern.compile("Reloaded the access file \\(1 token client\\) and "
                        + "keys \\(route openai key sha256:"), 30);

                assertEquals(401, client.post(chat, CHAT, "Authorization", "Bearer " + ALICE)
                        .getStatus());
                ContentResponse bob = client.post(chat, CHAT, "Authorization", "Bearer " + BOB);
                assertEquals(200, bob.getStatus(), bob.getContentAsString());
                assertTrue(upstream.takeRequest().headers().get("authorization")
                        .endsWith(NEW_KEY));
                release.countDown();
                // Its silence while held carried probe comments, which clients ignore.
                assertEquals(List.of(SseEvent.of("{\"n\":2}"), SseEvent.of("[DONE]")),
                        inFlight.rest().stream().filter(SseEvent.class::isInstance).toList());

                Files.writeString(access, "client.bob.token-sha256 = not-a-hash\n");
                sluice.signal("HUP");
                sluice.await(Pattern.compile("Reload failed, the settings in use stay: .*"
                        + "client.bob.token-sha256 is not 64 hex digits"), 30);
                assertEquals(200, client.post(chat, CHAT, "Authorization", "Bearer " + BOB)
                        .getStatus());

                String said = sluice.output();
                for (String secret : List.of(OLD_KEY, NEW_KEY, ALICE, BOB)) {
                    assertFalse(said.contains(secret), said);
                }
            }
        }
    }

    @Test
    void aKeysFileThatEveryoneMayReadIsRefused() throws Exception {
        Path keys = dir.resolve("keys.env");
        Files.writeString(keys, "OPENAI_API_KEY=" + OLD_KEY + "\n");
        Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rw-r--r--"));
        try (SluiceProcess sluice = SluiceProcess.start(Map.of("PATH", System.getenv("PATH"),
                "SLUICE_KEYS_FILE", keys.toString()))) {
            assertEquals(2, sluice.awaitExit(60));
            assertTrue(sluice.output().contains("may be read by every user of this machine"),
                    sluice.output());
            assertFalse(sluice.output().contains(OLD_KEY), sluice.output());
        }
    }

    private static void writeKeys(Path keys, String key) throws Exception {
        Path next = keys.resolveSibling("keys.env.next");
        Files.writeString(next, "# the openai route's key\nOPENAI_API_KEY=" + key + "\n");
        Files.setPosixFilePermissions(next, PosixFilePermissions.fromString("rw-------"));
        Files.move(next, keys, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
