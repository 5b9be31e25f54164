package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Config;
import dev.sluice.config.Operation;
import dev.sluice.config.Policy;
import dev.sluice.config.Route;
import dev.sluice.config.Secret;
import dev.sluice.config.Timeouts;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An upstream that echoes the key back, in every place a provider can put text: it reaches the
 * client nowhere, whether the key looks like one or not.
 */
class ScrubbingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A key that looks like no key: only the route's configuration can tell. */
    private static final String HEX = "3f9a0c5d7e21b84f6a0d9c3e5b7f1a2c4d6e8f01";
    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String SECRETS = "bad key " + HEX + " (also " + RunningSluice.KEY + ")";

    @RegisterExtension
    final Relay relay = new Relay();

    /** Each dialect: its path, an ordinary first event and an error event quoting the keys. */
    static Stream<Arguments> errorEventsAfterTheFirst() {
        return Stream.of(
                Arguments.of("openai-chat", "/chat/completions",
                        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n",
                        "data: {\"error\":{\"message\":\"" + SECRETS
                                + "\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\ndata: [DONE]\n\n"),
                Arguments.of("openai-chat", "/chat/completions", "data: {\"n\":1}\n\n",
                        "data:  {\"error\" : \"" + SECRETS + "\"}\n\ndata: [DONE]\n\n"),
                Arguments.of("openai-chat", "/chat/completions", "data: {\"n\":1}\n\n",
                        "data: {\"error\":{\"message\":\"" + SECRETS + "\"\n\ndata: [DONE]\n\n"),
                Arguments.of("customgpt", "/conversations/7/messages",
                        "data: {\"status\":\"progress\",\"message\":\"hi\"}\n\n",
                        "data: {\"status\":\"error\",\"data\":{\"message\":\"" + SECRETS
                                + "\"}\n\n"),
                Arguments.of("anthropic-messages", "/v1/messages",
                        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":"
                                + "{\"id\":\"m\",\"usage\":{\"input_tokens\":1,"
                                + "\"output_tokens\":1}}}\n\nevent: content_block_delta\n"
                                + "data: {\"type\":\"content_block_delta\",\"delta\":{\"text\":"
                                + "\"hi\"}}\n\n",
                        "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\","
                                + "\"message\":\"" + SECRETS + "\"}}\n\n"),
                Arguments.of("customgpt", "/conversations/7/messages",
                        "data: {\"status\":\"progress\",\"message\":\"hi\"}\n\n",
                        "data: {\"status\":\"error\",\"data\":{\"code\":500,\"message\":\""
                                + SECRETS + "\"}}\n\n"),
                Arguments.of("openai-responses", "/responses",
                        "event: response.created\ndata: {\"type\":\"response.created\","
                                + "\"response\":{\"id\":\"r\"}}\n\n",
                        "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":"
                                + "{\"id\":\"r\",\"status\":\"failed\",\"error\":{\"code\":"
                                + "\"server_error\",\"message\":\"" + SECRETS + "\"}}}\n\n"),
                Arguments.of("openai-responses", "/responses",
                        "event: response.created\ndata: {\"type\":\"response.created\","
                                + "\"response\":{\"id\":\"r\"}}\n\nevent: "
                                + "response.output_text.delta\ndata: {\"type\":"
                                + "\"response.output_text.delta\",\"delta\":\"hi\"}\n\n",
                        "event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\","
                                + "\"message\":\"" + SECRETS + "\",\"param\":null}\n\n"),
                Arguments.of("sse", "/events", "data: hello\n\n",
                        "event: error\nid: " + HEX + "\ndata: " + SECRETS + "\n\n"));
    }

    @ParameterizedTest
    @MethodSource("errorEventsAfterTheFirst")
    void anErrorEventAfterTheFirstIsScrubbedOfEveryKey(String dialect, String path, String first,
            String error) throws Exception {
        String body = relayed(dialect, path, first + error);

        assertFalse(body.contains(HEX), body);
        assertFalse(body.contains(RunningSluice.KEY), body);
        assertFalse(body.contains("Zq8xR2vL9mW4"), body);
        assertTrue(body.contains("bad key [redacted "), body);
        assertTrue(body.startsWith(first), body);
    }

    @Test
    void anErrorAfterTheOpeningAnsweredAsAnHttpErrorIsScrubbedOfEveryKey() throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> exchange.startStream().write(
                "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{}}\n\n"
                        + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
                        + "\"api_error\",\"message\":\"" + SECRETS + "\"}}\n\n").end());
        relay.start(config(upstream, "anthropic-messages"));

        ContentResponse response = relay.client().post(URI.create(relay.sluiceUrl()
                + "/route/v1/messages"), STREAM);

        assertEquals(502, response.getStatus(), "Anthropic's api_error");
        String body = response.getContentAsString();
        assertFalse(body.contains(HEX), body);
        assertFalse(body.contains(RunningSluice.KEY), body);
        assertTrue(body.contains("bad key [redacted "), body);
    }

    @Test
    void ordinaryEventsQuotingTheKeyShapeAreForwardedUntouched() throws Exception {
        // Not an error: the hot path does not look inside it (a model may write "sk-..." text).
        String event = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":"
                + "\"sk-abc123456\"}}]}\n\n";

        assertEquals(event + "data: [DONE]\n\n",
                relayed("openai-chat", "/chat/completions", event + "data: [DONE]\n\n"));
    }

    @Test
    void aScrubbedErrorEventStaysValidJsonInTheDialectsShape() throws Exception {
        String body = relayed("openai-chat", "/chat/completions",
                "data: {\"n\":1}\n\ndata: {\"error\":{\"message\":\"" + SECRETS
                        + " \\\"quoted\\\"\",\"type\":\"server_error\"}}\n\ndata: [DONE]\n\n");
        String error = body.lines().filter(l -> l.contains("\"error\"")).findFirst().orElseThrow();

        JsonNode parsed = JSON.readTree(error.substring("data: ".length()));
        assertEquals("server_error", parsed.path("error").path("type").asText());
        assertTrue(parsed.path("error").path("message").asText().endsWith(" \"quoted\""), body);
    }

    @Test
    void errorBodyFieldNamesAreScrubbedToo() throws Exception {
        ContentResponse response = answeredWith(401, "application/json",
                "{\"error\":{\"message\":\"no\",\"" + HEX + "\":\"" + RunningSluice.KEY + "\"}}");

        String body = response.getContentAsString();
        assertEquals(401, response.getStatus());
        assertFalse(body.contains(HEX), body);
        assertFalse(body.contains("Zq8xR2vL9mW4"), body);
        assertEquals("no", JSON.readTree(body).path("error").path("message").asText());
    }

    @ParameterizedTest
    @ValueSource(ints = {470, 480, 490, 496})
    void aKeyCutByTheQuoteOfATextErrorLeavesNoPrefix(int before) throws Exception {
        // The quote keeps 500 characters of the text; the key straddles that cut.
        String text = "x".repeat(before) + HEX + " and more text after it";
        ContentResponse response = answeredWith(500, "text/plain", text);

        String message = JSON.readTree(response.getContent()).path("error").path("message")
                .asText();
        assertEquals(500, response.getStatus());
        assertFalse(message.contains(HEX.substring(0, 500 - before)), message);
        assertTrue(message.contains("upstream answered HTTP 500"), message);
    }

    @ParameterizedTest
    @CsvSource({"401, gzip", "500, gzip", "429, x-gzip", "403, deflate", "502, br"})
    void anErrorBodyThatCannotBeDecodedIsAnsweredWithTheUpstreamsStatus(int status,
            String encoding) throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> exchange.respond(status,
                "application/json", "not " + encoding + " at all: " + HEX, "Content-Encoding",
                encoding));
        relay.start(config(upstream, "anthropic-messages"));
        ContentResponse response = relay.client().post(
                URI.create(relay.sluiceUrl() + "/route/v1/messages"), STREAM);

        String body = response.getContentAsString();
        assertEquals(status, response.getStatus(), body);
        assertTrue(response.getMediaType().startsWith("application/json"), body);
        JsonNode error = JSON.readTree(body);
        assertEquals("error", error.path("type").asText(), body);
        assertTrue(error.path("error").path("message").asText().contains(
                "upstream answered HTTP " + status + " with an error body that could not be read"),
                body);
        assertFalse(body.contains(HEX), body);
    }

    @Test
    void anErrorBodyThatStallsIsAnsweredWithTheUpstreamsStatusWithinTheTimeLimit()
            throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> {
            exchange.start(500, "application/json").write("{\"error\": {\"message\": \"");
            exchange.awaitPeerClosed(30, TimeUnit.SECONDS);
        });
        Timeouts quick = new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(10),
                Duration.ofMillis(300), Duration.ofSeconds(10), Duration.ofMinutes(1),
                Duration.ofSeconds(10));
        URI chat = relay.start(TestConfig.relayingTo(upstream.baseUrl(),
                new Secret(RunningSluice.KEY)).timeouts(quick).build());

        ContentResponse response = relay.client().post(chat, STREAM);

        assertEquals(500, response.getStatus());
        assertTrue(JSON.readTree(response.getContent()).path("error").path("message").asText()
                .startsWith("upstream answered HTTP 500 with an error body that could not be "
                        + "read: upstream sent no event within 300 ms"), response::toString);
    }

    /** What a client of the route of {@code dialect} reads of a stream the upstream sends. */
    private String relayed(String dialect, String path, String events) throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> exchange.startStream().write(events)
                .end());
        relay.start(config(upstream, dialect));
        URI uri = URI.create(relay.sluiceUrl() + "/route" + path);
        try (TestClient.Stream stream = relay.client().stream(uri, STREAM)) {
            assertEquals(200, stream.response().getStatus());
            return new String(stream.restBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The answer to a client of an openai-chat route whose upstream answers as given. */
    private ContentResponse answeredWith(int status, String type, String body) throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> exchange.respond(status, type, body));
        relay.start(config(upstream, "openai-chat"));
        return relay.client().post(URI.create(relay.sluiceUrl() + "/route/chat/completions"),
                STREAM);
    }

    /** The default route with the key-shaped test key, and one at /route with {@link #HEX}. */
    private static Config config(FakeUpstream upstream, String dialect) {
        return TestConfig.relayingTo(upstream.baseUrl(), new Secret(RunningSluice.KEY))
                .route(new Route("route", "/route", upstream.baseUrl(), dialect, new Secret(HEX),
                        Policy.NONE, false, dialect.equals("sse")
                                ? List.of(Operation.parse("POST /events"))
                                : Operation.defaults(dialect)))
                .build();
    }
}
