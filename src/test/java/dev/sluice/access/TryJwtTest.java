package dev.sluice.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.config.Config;
import dev.sluice.config.Jwt;
import dev.sluice.config.Secret;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code make jwt}'s token is one that Sluice, with the shipped sample's jwt lines, accepts. */
class TryJwtTest {

    /** Made as the README's quick start makes it: base64 text, used as its bytes. */
    private static final String SECRET = "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0xc8=";
    private static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    @TempDir
    Path dir;

    private Config sampleConfig() throws Exception {
        Path access = dir.resolve("access.local.properties");
        Files.writeString(access, Files.readString(Path.of("etc/access.properties"))
                .replace("0".repeat(64), "ab".repeat(32)));
        return Config.load(Map.of("SLUICE_PORT", "0", "SLUICE_ACCESS", access.toString(),
                "SLUICE_JWT_SECRET", SECRET), new Properties());
    }

    @Test
    void theSamplesUsersAreAdmittedWithIt() throws Exception {
        Config config = sampleConfig();
        Jwt jwt = config.access().jwt();
        String token = TryJwt.token(jwt, "alice", Duration.ofHours(1), Instant.now());
        String forged = TryJwt.token(new Jwt(new Secret(SECRET + "x"), null,
                null, jwt.issuer(), jwt.audience(), jwt.clockSkew(), jwt.client(), null),
                "alice", Duration.ofHours(1), Instant.now());
        try (RunningSluice sluice = new RunningSluice(config);
                TestClient client = new TestClient()) {
            ContentResponse admitted = client.post(sluice.uri("/v1/chat/completions"), CHAT,
                    "Authorization", "Bearer " + token);
            assertEquals(200, admitted.getStatus(), admitted.getContentAsString());
            ContentResponse refused = client.post(sluice.uri("/v1/chat/completions"), CHAT,
                    "Authorization", "Bearer " + forged);
            assertEquals(401, refused.getStatus(), refused.getContentAsString());
        }
    }

    @Test
    void aUserMustBeNamed() throws Exception {
        Jwt jwt = sampleConfig().access().jwt();
        assertThrows(IllegalArgumentException.class,
                () -> TryJwt.token(jwt, " ", Duration.ofHours(1), Instant.now()));
    }
}
