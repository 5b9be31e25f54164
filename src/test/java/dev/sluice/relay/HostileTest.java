package dev.sluice.relay;

import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Jwt;
import dev.sluice.config.Secret;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import dev.sluice.web.PageHeaders;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * Attacks on a running Sluice: bad and forged credentials, requests past the limits, malformed
 * and oversized input, cross-origin calls. Each case asserts the exact status and message; at
 * the end, no response byte and no log line of the whole suite may contain the upstream key.
 */
class HostileTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "slc_backend-token-for-hostile-tests-0123456789";
    private static final String JWT_SECRET = "a-shared-secret-of-at-least-32-bytes-for-hs256";
    private static final String CHAT = "{\"model\":\"gpt-small\",\"stream\":true,\"messages\":[]}";
    private static final String ASK_FOR_TOKEN =
            "send a token as 'Authorization: Bearer <token>' (or 'x-api-key: <token>')";
    private static final StringBuilder EVERYTHING = new StringBuilder();
    private static final ListAppender<ILoggingEvent> LOGS = new ListAppender<>();
    private static final CountDownLatch RELEASE = new CountDownLatch(1);

    private static FakeUpstream upstream;
    private static RunningSluice sluice;
    private static TestClient client;

    @BeforeAll
    static void start() throws Exception {
        LOGS.start();
        root().addAppender(LOGS);
        upstream = new FakeUpstream(exchange -> {
            String body = exchange.request().bodyText();
            if (body.contains("echo-the-key")) {
                exchange.respond(401, "application/json", "{\"error\":{\"message\":\"bad key "
                        + RunningSluice.KEY + "\",\"type\":\"invalid_request_error\"}}");
            } else if (body.contains("hold")) {
                exchange.startStream().write("data: {\"n\":1}\n\n");
                RELEASE.await(20, TimeUnit.SECONDS);
                exchange.write("data: [DONE]\n\n").end();
            } else {
                exchange.startStream().write("data: {\"n\":1}\n\ndata: [DONE]\n\n").end();
            }
        });
        Client backend = new Client("backend", Set.of("openai"), Set.of(), 1, 1000, 0);
        Client users = new Client("web-users", Set.of("openai"), Set.of("gpt-small"), 0, 0, 0);
        Client throttled = new Client("throttled", Set.of(), Set.of(), 0, 2, 0);
        Access access = new Access(Map.of(sha256(TOKEN), backend, sha256("slc_throttled"),
                throttled), new Jwt(new Secret(JWT_SECRET), null, null, "https://login.test",
                "sluice", Duration.ofSeconds(30), users, null), null, Set.of());
        sluice = new RunningSluice(TestConfig.relayingTo(upstream.baseUrl(),
                new Secret(RunningSluice.KEY)).access(access)
                .corsOrigins("https://app.example.com").build());
        client = new TestClient();
    }

    @AfterAll
    static void stop() throws Exception {
        RELEASE.countDown();
        client.close();
        sluice.close();
        upstream.close();
        root().detachAppender(LOGS);
        for (ILoggingEvent event : LOGS.list) {
            EVERYTHING.append(event.getFormattedMessage()).append('\n');
            if (event.getThrowableProxy() != null) {
                EVERYTHING.append(ThrowableProxyUtil.asString(event.getThrowableProxy()));
            }
        }
        assertTrue(EVERYTHING.length() > 1000, "the collector saw the suite's traffic");
        assertFalse(EVERYTHING.toString().contains(RunningSluice.KEY), "the key leaked");
        assertFalse(EVERYTHING.toString().contains("Zq8xR2vL9mW4"), "part of the key leaked");
        assertFalse(EVERYTHING.toString().contains(JWT_SECRET), "the JWT secret leaked");
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    static Stream<Arguments> credentials() throws Exception {
        Instant now = Instant.now();
        return Stream.of(
                Arguments.of("no credential", Map.of(), 401,
                        ASK_FOR_TOKEN),
                Arguments.of("basic auth", Map.of("Authorization", "Basic dXNlcjpwYXNz"), 401,
                        ASK_FOR_TOKEN),
                Arguments.of("unknown token", bearer("slc_guessed"), 401,
                        "the token is not one Sluice knows"),
                Arguments.of("expired jwt", bearer(hs(claims(now).expirationTime(
                        Date.from(now.minusSeconds(120))).build(), JWT_SECRET)), 401,
                        "the JWT was refused: Expired JWT"),
                Arguments.of("jwt not yet valid", bearer(hs(claims(now).notBeforeTime(
                        Date.from(now.plusSeconds(600))).build(), JWT_SECRET)), 401,
                        "the JWT was refused: JWT before use time"),
                Arguments.of("jwt for another audience", bearer(hs(claims(now).audience("other")
                        .build(), JWT_SECRET)), 401,
                        "the JWT was refused: JWT aud claim rejected"),
                Arguments.of("jwt from another issuer", bearer(hs(claims(now)
                        .issuer("https://evil.test").build(), JWT_SECRET)), 401,
                        "the JWT was refused: JWT iss claim value rejected"),
                Arguments.of("jwt without sub", bearer(hs(claims(now).subject(null).build(),
                        JWT_SECRET)), 401,
                        "the JWT was refused: JWT missing required claims: [sub]"),
                Arguments.of("jwt signed with another secret", bearer(hs(claims(now).build(),
                        "another-secret-also-of-at-least-32-bytes!!")), 401,
                        "the JWT was refused: Signed JWT rejected: Invalid signature"),
                Arguments.of("alg none", bearer(new PlainJWT(claims(now).build()).serialize()),
                        401, "the JWT was refused: Unsecured (plain) JWTs are rejected, extend "
                                + "class to handle"),
                Arguments.of("RS256 where HS256 is configured", bearer(rs(claims(now).build())),
                        401, "the JWT was refused: Signed JWT rejected: Another algorithm "
                                + "expected, or no matching key(s) found"),
                Arguments.of("garbage with two dots", bearer("a.b.c"), 401,
                        "the bearer token is not a valid JWT"),
                Arguments.of("jwt user asks for another model", with(bearer(hs(claims(now).build(),
                        JWT_SECRET)), "model", "gpt-huge"), 403,
                        "client web-users may not use model 'gpt-huge'; it may use: gpt-small"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("credentials")
    void credentialsAreCheckedBeforeAnythingReachesTheUpstream(String name,
            Map<String, String> headers, int status, String message) throws Exception {
        String body = headers.containsKey("model")
                ? CHAT.replace("gpt-small", headers.get("model")) : CHAT;
        String[] pairs = headers.entrySet().stream().filter(e -> !e.getKey().equals("model"))
                .flatMap(e -> Stream.of(e.getKey(), e.getValue())).toArray(String[]::new);
        ContentResponse response = post(body, pairs);
        assertEquals(status, response.getStatus(), response.getContentAsString());
        assertEquals(message, error(response).path("message").asText());
        if (status == 401) {
            assertEquals("Bearer", response.getHeaders().get("WWW-Authenticate"));
        }
    }

    @Test
    void validJwtAndValidTokenAreRelayed() throws Exception {
        Instant now = Instant.now();
        assertEquals(200, post(CHAT, "Authorization", "Bearer " + hs(claims(now).build(),
                JWT_SECRET)).getStatus());
        assertEquals(200, post(CHAT, "Authorization", "Bearer " + TOKEN).getStatus());
        assertEquals(200, post(CHAT, "x-api-key", TOKEN).getStatus(), "as Anthropic's SDK sends");
    }

    @Test
    void moreConcurrentStreamsThanAllowedAre429WithRetryAfter() throws Exception {
        try (TestClient.Stream first = client.stream(sluice.uri("/v1/chat/completions"),
                CHAT.replace("[]", "[\"hold\"]"), "Authorization", "Bearer " + TOKEN)) {
            assertEquals("{\"n\":1}", first.nextEvent().data());
            ContentResponse second = post(CHAT, "Authorization", "Bearer " + TOKEN);
            assertEquals(429, second.getStatus());
            assertEquals("1", second.getHeaders().get("Retry-After"));
            assertEquals("1 streams are open already, the most this client may have at once",
                    error(second).path("message").asText());
            RELEASE.countDown();
            first.rest();
        }
    }

    @Test
    void requestsPastThePerMinuteRateAre429WithRetryAfter() throws Exception {
        assertEquals(200, post(CHAT, "Authorization", "Bearer slc_throttled").getStatus());
        assertEquals(200, post(CHAT, "Authorization", "Bearer slc_throttled").getStatus());
        ContentResponse third = post(CHAT, "Authorization", "Bearer slc_throttled");
        assertEquals(429, third.getStatus());
        assertEquals("more than 2 requests per minute", error(third).path("message").asText());
        long retryAfter = Long.parseLong(third.getHeaders().get("Retry-After"));
        assertTrue(retryAfter >= 1 && retryAfter <= 30, "Retry-After " + retryAfter);
    }

    @Test
    void badInputIsRefusedWithTheReason() throws Exception {
        String auth = "Bearer " + TOKEN;
        // Refused on its declared length, before Sluice reads any of it.
        String huge = raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: "
                + auth + "\r\nContent-Type: application/json\r\nContent-Length: " + (10 << 20)
                + "\r\n\r\n{\"messages\":[");
        assertTrue(huge.startsWith("HTTP/1.1 413 "), huge);
        assertTrue(huge.endsWith("{\"error\":{\"message\":\"request body is larger than "
                + "1048576 bytes\",\"type\":\"invalid_request_error\",\"param\":null,"
                + "\"code\":null}}"), huge);

        ContentResponse plain = client.postAs(sluice.uri("/v1/chat/completions"), "text/plain",
                CHAT, "Authorization", auth);
        record(plain);
        assertEquals(415, plain.getStatus());
        assertEquals("send the body as JSON, with 'Content-Type: application/json' (not "
                + "'text/plain')", error(plain).path("message").asText());

        ContentResponse broken = post("{\"model\": \"m\",\n \"stream\": tru }", "Authorization",
                auth);
        assertEquals(400, broken.getStatus());
        assertTrue(error(broken).path("message").asText().startsWith(
                "request body is not valid JSON: Unrecognized token 'tru'"));
        assertTrue(error(broken).path("message").asText().endsWith("at line 2, column 12"),
                error(broken).path("message").asText());

        ContentResponse deep = post("[".repeat(1000) + "]".repeat(1000), "Authorization", auth);
        assertEquals(400, deep.getStatus());
        assertTrue(error(deep).path("message").asText().contains("nesting depth"),
                error(deep).path("message").asText());
    }

    @Test
    void upstreamErrorThatEchoesTheKeyReachesTheClientWithoutIt() throws Exception {
        ContentResponse response = post(CHAT.replace("[]", "[\"echo-the-key\"]"),
                "Authorization", "Bearer " + TOKEN);
        assertEquals(401, response.getStatus());
        String message = error(response).path("message").asText();
        assertTrue(message.startsWith("bad key [redacted "), message);
        assertFalse(message.contains(RunningSluice.KEY));
    }

    @Test
    void crlfInAHeaderValueAndOversizedHeadersAreRefusedAsJson() throws Exception {
        String crlf = raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nanthropic-beta: a\r"
                + "Injected: yes\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        assertTrue(crlf.startsWith("HTTP/1.1 400 "), crlf);
        String big = raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000)
                + "\r\nConnection: close\r\n\r\n");
        assertTrue(big.startsWith("HTTP/1.1 431 "), big);
        assertTrue(big.contains("application/json") && big.contains("\"error\""), big);
    }

    @Test
    void corsAllowsOnlyTheConfiguredOriginAndAnswersPreflightsWithoutCredentials()
            throws Exception {
        String allowed = raw("OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                + "Origin: https://app.example.com\r\nAccess-Control-Request-Method: POST\r\n"
                + "Access-Control-Request-Headers: authorization, content-type, "
                + "x-stainless-os\r\nConnection: close\r\n\r\n");
        assertTrue(allowed.startsWith("HTTP/1.1 204 "), allowed);
        assertTrue(allowed.contains("Access-Control-Allow-Origin: https://app.example.com"));
        assertTrue(allowed.contains("X-Stainless-OS"), allowed);
        assertFalse(allowed.contains("Access-Control-Allow-Origin: *"));
        String other = raw("OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                + "Origin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\n"
                + "Connection: close\r\n\r\n");
        assertTrue(other.startsWith("HTTP/1.1 403 "), other);
        assertFalse(other.contains("Access-Control-Allow-Origin"), other);

        ContentResponse call = post(CHAT, "Authorization", "Bearer " + TOKEN,
                "Origin", "https://app.example.com");
        assertEquals("https://app.example.com", call.getHeaders()
                .get("Access-Control-Allow-Origin"));
        assertTrue(call.getHeaders().get("Access-Control-Expose-Headers").contains("Retry-After"));
    }

    @Test
    void theDemoPageIsServedWithStrictHeaders() throws Exception {
        ContentResponse page = client.get(sluice.uri("/"));
        record(page);
        assertEquals(200, page.getStatus());
        assertEquals(PageHeaders.CONTENT_SECURITY_POLICY,
                page.getHeaders().get("Content-Security-Policy"));
        assertEquals("nosniff", page.getHeaders().get("X-Content-Type-Options"));
        assertEquals("no-referrer", page.getHeaders().get("Referrer-Policy"));
    }

    // Helpers

    private static ContentResponse post(String body, String... headers) throws Exception {
        ContentResponse response = client.post(sluice.uri("/v1/chat/completions"), body, headers);
        record(response);
        return response;
    }

    private static void record(ContentResponse response) {
        EVERYTHING.append(response.getHeaders()).append(response.getContentAsString()).append('\n');
    }

    private static String raw(String request) throws Exception {
        URI base = sluice.uri("/");
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            EVERYTHING.append(answer).append('\n');
            return answer;
        }
    }

    private static JsonNode error(ContentResponse response) throws Exception {
        return JSON.readTree(response.getContent()).path("error");
    }

    private static Map<String, String> bearer(String token) {
        return Map.of("Authorization", "Bearer " + token);
    }

    private static Map<String, String> with(Map<String, String> headers, String key, String value) {
        Map<String, String> all = new java.util.HashMap<>(headers);
        all.put(key, value);
        return all;
    }

    private static JWTClaimsSet.Builder claims(Instant now) {
        return new JWTClaimsSet.Builder().subject("user-7").issuer("https://login.test")
                .audience("sluice").issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(300)));
    }

    private static String hs(JWTClaimsSet claims, String secret) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    private static String rs(JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims);
        jwt.sign(new RSASSASigner(new RSAKeyGenerator(2048).generate()));
        return jwt.serialize();
    }
}
