package dev.sluice.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.config.Jwt;
import dev.sluice.config.Secret;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.TestConfig;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The other ways in: RS256 JWTs from a PEM key, anonymous callers by address, daily budgets. */
class AccessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String WITH_USAGE = "data: {\"choices\":[{\"index\":0,\"delta\":"
            + "{\"content\":\"hi\"}}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":20,"
            + "\"completion_tokens\":33,\"total_tokens\":53}}\n\ndata: [DONE]\n\n";

    @RegisterExtension
    final Relay relay = new Relay();

    @TempDir
    Path dir;

    private URI start(Access access) throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> exchange.startStream()
                .write(WITH_USAGE).end());
        return relay.start(TestConfig.relayingTo(upstream.baseUrl(), null).access(access)
                .build());
    }

    private int status(URI chat, String... headers) throws Exception {
        ContentResponse response = relay.client().post(chat, CHAT, headers);
        return response.getStatus();
    }

    @Test
    void rs256TokensVerifyWithThePublicKeyAndTheKeyIsNoHmacSecret() throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).generate();
        Path pem = dir.resolve("public.pem");
        Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder()
                .encodeToString(key.toRSAPublicKey().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
        Client users = new Client("users", Set.of(), Set.of(), 0, 0, 0);
        URI chat = start(new Access(Map.of(), new Jwt(null, pem, null, null, null,
                Duration.ofSeconds(30), users, null), null, Set.of()));

        SignedJWT good = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims());
        good.sign(new RSASSASigner(key));
        assertEquals(200, status(chat, "Authorization", "Bearer " + good.serialize()));

        // The classic confusion: HS256 with the public key's bytes as the shared secret.
        SignedJWT forged = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims());
        forged.sign(new MACSigner(Files.readString(pem).getBytes(StandardCharsets.UTF_8)));
        ContentResponse refused = relay.client().post(chat, CHAT, "Authorization",
                "Bearer " + forged.serialize());
        assertEquals(401, refused.getStatus());
        assertEquals("the JWT was refused: Signed JWT rejected: Another algorithm expected, or no "
                + "matching key(s) found", JSON.readTree(refused.getContent()).path("error")
                .path("message").asText());
    }

    @Test
    void anonymousCallersAreCountedByAddressBehindATrustedProxy() throws Exception {
        Client perAddress = new Client("public", Set.of(), Set.of(), 0, 1, 0);
        URI chat = start(new Access(Map.of(), null, perAddress, Set.of("127.0.0.1")));
        assertEquals(200, status(chat, "X-Forwarded-For", "203.0.113.7"));
        assertEquals(200, status(chat, "X-Forwarded-For", "198.51.100.2"));
        assertEquals(429, status(chat, "X-Forwarded-For", "203.0.113.7"));
        // A hop the client wrote itself, left of the address our proxy saw, changes nothing.
        assertEquals(429, status(chat, "X-Forwarded-For", "192.0.2.99, 203.0.113.7"));
    }

    @Test
    void aDailyBudgetIsSpentByReportedUsage() throws Exception {
        Client small = new Client("small", Set.of(), Set.of(), 0, 0, 50);
        String token = "slc_small-budget-token";
        URI chat = start(new Access(Map.of(java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(
                        token.getBytes(StandardCharsets.UTF_8))), small), null, null, Set.of()));
        assertEquals(200, status(chat, "Authorization", "Bearer " + token));
        relay.sluiceStreamsDone();
        ContentResponse spent = relay.client().post(chat, CHAT, "Authorization", "Bearer " + token);
        assertEquals(429, spent.getStatus());
        assertEquals("the daily budget of 50 tokens is used up", JSON.readTree(spent.getContent())
                .path("error").path("message").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"sub\":null,", "\"sub\":42,", "\"sub\":\"\",", "\"sub\":\"  \",",
        "\"sub\":[\"a\"],", "\"sub\":{\"id\":1},", "\"sub\":true,"})
    void aJwtWhoseSubIsNoNonEmptyStringIsRefused(String sub) throws Exception {
        URI chat = start(hs256(null));
        long now = Instant.now().getEpochSecond();

        ContentResponse refused = relay.client().post(chat, CHAT, "Authorization", "Bearer "
                + signed("{" + sub + "\"iat\":" + now + ",\"exp\":" + (now + 300) + "}"));

        assertEquals(401, refused.getStatus());
        assertEquals("the JWT was refused: its sub must be a non-empty string naming the user",
                message(refused));
    }

    @Test
    void aJwtWithAStringSubIsRelayed() throws Exception {
        URI chat = start(hs256(null));
        long now = Instant.now().getEpochSecond();

        assertEquals(200, status(chat, "Authorization", "Bearer "
                + signed("{\"sub\":\"42\",\"exp\":" + (now + 300) + "}")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0     | 3600 | 200 | ",
        "-600  | 3000 | 200 | ",
        "0     | 3601 | 401 | the JWT was refused: it lives 3601 s from iat to exp, longer than "
            + "the 3600 s that jwt.max-lifetime allows",
        "-60   | 86400| 401 | the JWT was refused: it lives 86460 s from iat to exp, longer than "
            + "the 3600 s that jwt.max-lifetime allows",
        "3600  | 3700 | 401 | the JWT was refused: its iat is in the future",
        "      | 600  | 401 | the JWT was refused: it has no iat, which a maximum lifetime "
            + "(jwt.max-lifetime) requires"})
    void aMaximumLifetimeBoundsExpFromIat(Long iat, long exp, int status, String why)
            throws Exception {
        URI chat = start(hs256(Duration.ofHours(1)));
        long now = Instant.now().getEpochSecond();
        String token = signed("{\"sub\":\"user-1\"," + (iat == null ? ""
                : "\"iat\":" + (now + iat) + ",") + "\"exp\":" + (now + exp) + "}");

        ContentResponse response = relay.client().post(chat, CHAT, "Authorization",
                "Bearer " + token);

        assertEquals(status, response.getStatus());
        if (why != null) {
            assertEquals(why, message(response));
        }
    }

    @Test
    void theAccessFileReadsTheMaximumLifetime(@TempDir Path files) throws Exception {
        Path ok = files.resolve("ok.properties");
        Files.writeString(ok, "client.users.max-streams = 2\njwt.hs256-secret-env = SECRET\n"
                + "jwt.client = users\njwt.max-lifetime = 1h\n");
        Map<String, String> env = Map.of("SLUICE_ACCESS", ok.toString(), "SECRET", SECRET);
        assertEquals(Duration.ofHours(1), Config.load(env, new Properties()).access().jwt()
                .maxLifetime());

        Path bad = files.resolve("bad.properties");
        Files.writeString(bad, Files.readString(ok).replace("1h", "1 hour"));
        ConfigException e = assertThrows(ConfigException.class, () -> Config.load(
                Map.of("SLUICE_ACCESS", bad.toString(), "SECRET", SECRET), new Properties()));
        assertEquals(bad + ": jwt.max-lifetime must be a positive duration such as 15m, 1h or 1d, "
                + "got '1 hour'", e.getMessage());
    }

    private static final String SECRET = "a-shared-secret-of-at-least-32-bytes-for-tests";

    private static Access hs256(Duration maxLifetime) {
        Client users = new Client("users", Set.of(), Set.of(), 0, 0, 0);
        return new Access(Map.of(), new Jwt(new Secret(SECRET), null, null, null, null,
                Duration.ofSeconds(30), users, maxLifetime), null, Set.of());
    }

    /** A token with exactly these claims, as JSON, signed with {@link #SECRET}. */
    private static String signed(String claims) throws Exception {
        JWSObject token = new JWSObject(new JWSHeader(JWSAlgorithm.HS256), new Payload(claims));
        token.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
        return token.serialize();
    }

    private static String message(ContentResponse response) throws Exception {
        return JSON.readTree(response.getContent()).path("error").path("message").asText();
    }

    private static JWTClaimsSet claims() {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().subject("user-1").issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(300))).build();
    }
}
