package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Config;
import dev.sluice.config.Secret;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseItem;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.FreePort;
import dev.sluice.testing.Relay;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the client sees when things go wrong: every refusal is a status with a JSON error body,
 * every mid-stream failure an error event in OpenAI's shape followed by {@code [DONE]}.
 */
class FailuresTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String WHOLE = "{\"model\":\"m\",\"messages\":[]}";

    private final CountDownLatch clientHasTwo = new CountDownLatch(1);
    @RegisterExtension
    final Relay relay = new Relay();




    @Test
    void upstreamErrorStatusIsRelayedWithItsMessageAndWithoutTheKey() throws Exception {
        URI chat = relay.start(exchange -> exchange.respond(401, "application/json", """
                {"error":{"message":"Incorrect API key provided: %s. You can find your API key \
                at https://platform.openai.com/account/api-keys.","type":"invalid_request_error",\
                "param":null,"code":"invalid_api_key"}}""".formatted(RunningSluice.KEY)));
        ContentResponse response = relay.client().post(chat, STREAM);
        assertEquals(401, response.getStatus());
        assertEquals("Bearer", response.getHeaders().get("WWW-Authenticate"));
        assertTrue(response.getMediaType().startsWith("application/json"));
        JsonNode error = JSON.readTree(response.getContent()).path("error");
        assertTrue(error.path("message").asText().startsWith("Incorrect API key provided:"));
        assertEquals("invalid_api_key", error.path("code").asText());
        assertFalse(response.getContentAsString().contains(RunningSluice.KEY));
        assertFalse(response.getContentAsString().contains("Zq8xR2vL9mW4"));
    }

    @Test
    void rateLimitKeepsRetryAfter() throws Exception {
        URI chat = relay.start(exchange -> exchange.respond(429, "application/json",
                "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\","
                        + "\"param\":null,\"code\":\"rate_limit_exceeded\"}}",
                "Retry-After", "7"));
        ContentResponse response = relay.client().post(chat, STREAM);
        assertEquals(429, response.getStatus());
        assertEquals("7", response.getHeaders().get("Retry-After"));
        assertEquals("Rate limit reached",
                JSON.readTree(response.getContent()).path("error").path("message").asText());
    }

    @Test
    void nonJsonUpstreamErrorIsWrappedInOpenAiShape() throws Exception {
        URI chat = relay.start(exchange -> exchange.respond(502, "text/html",
                "<html>Bad gateway from the provider's edge</html>"));
        ContentResponse response = relay.client().post(chat, STREAM);
        assertEquals(502, response.getStatus());
        JsonNode error = JSON.readTree(response.getContent()).path("error");
        assertEquals("upstream_error", error.path("type").asText());
        assertTrue(error.path("message").asText().contains("HTTP 502"));
        assertTrue(error.path("message").asText().contains("Bad gateway from the provider"));
    }

    @Test
    void nonStreamingAnswerIsRelayedByteForByte() throws Exception {
        String completion = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":"
                + "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"h\u00e9\"}}]}";
        URI chat = relay.start(exchange -> exchange.respond(200, "application/json", completion));
        ContentResponse response = relay.client().post(chat, WHOLE);
        assertEquals(200, response.getStatus());
        assertEquals(completion, response.getContentAsString());
        assertEquals(WHOLE, relay.upstream().takeRequest().bodyText());
    }

    @Test
    void resetMidStreamEndsWithErrorEventThenDone() throws Exception {
        // A reset discards whatever the receiver has not read yet, so it waits for the client.
        URI chat = relay.start(exchange -> {
            exchange.startStream().write("data: {\"n\":1}\n\ndata: {\"n\":2}\n\n");
            assertTrue(clientHasTwo.await(10, TimeUnit.SECONDS));
            exchange.reset();
        });
        assertEndsWithError(chat, 2);
    }

    @Test
    void truncatedBodyEndsWithErrorEventThenDone() throws Exception {
        URI chat = relay.start(exchange -> {
            exchange.startStream().write("data: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: {\"n\"");
            assertTrue(clientHasTwo.await(10, TimeUnit.SECONDS));
            exchange.truncate();
        });
        assertEndsWithError(chat, 2);
    }

    @Test
    void lineLongerThanWhatIsHeldIsRelayedWhole() throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> exchange.startStream()
                .write("data: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: " + "x".repeat(5000))
                .write("x".repeat(5000) + "\n\n").end());
        Config small = TestConfig.relayingTo(upstream.baseUrl(), new Secret(RunningSluice.KEY))
                .maxLineBytes(4096).build();
        URI chat = relay.start(small);
        try (TestClient.Stream stream = relay.client().stream(chat, STREAM)) {
            assertEquals(200, stream.response().getStatus());
            assertEquals(List.of(SseEvent.of("{\"n\":1}"), SseEvent.of("{\"n\":2}"),
                    SseEvent.of("x".repeat(10_000))), stream.rest());
        }
    }

    @Test
    void breakInsideAnEventTooLongToHoldEndsTheResponseWithNothingJoinedToIt() throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> exchange.startStream()
                .write("data: {\"n\":1}\n\ndata: " + "x".repeat(5000)).truncate());
        Config small = TestConfig.relayingTo(upstream.baseUrl(), new Secret(RunningSluice.KEY))
                .maxLineBytes(4096).build();
        URI chat = relay.start(small);
        try (TestClient.Stream stream = relay.client().stream(chat, STREAM)) {
            assertEquals(200, stream.response().getStatus());
            byte[] body = stream.restBytes();
            String text = new String(body, java.nio.charset.StandardCharsets.UTF_8);
            // The part of the long event is there, unended, so that every parser drops it.
            assertTrue(text.endsWith("data: " + "x".repeat(5000)), text);
        }
    }

    private JsonNode assertEndsWithError(URI chat, int eventsBefore) throws Exception {
        try (TestClient.Stream stream = relay.client().stream(chat, STREAM)) {
            assertEquals(200, stream.response().getStatus());
            List<SseItem> items = new ArrayList<>();
            for (int i = 0; i < eventsBefore; i++) {
                items.add(stream.next());
            }
            clientHasTwo.countDown();
            items.addAll(stream.rest());
            assertEquals(eventsBefore + 2, items.size(), items::toString);
            for (int i = 0; i < eventsBefore; i++) {
                assertEquals(SseEvent.of("{\"n\":" + (i + 1) + "}"), items.get(i));
            }
            JsonNode error = JSON.readTree(((SseEvent) items.get(eventsBefore)).data())
                    .path("error");
            assertEquals("upstream_error", error.path("type").asText());
            assertTrue(error.path("message").asText().startsWith("upstream stream failed"));
            assertFalse(error.path("message").asText().contains(RunningSluice.KEY));
            assertEquals(SseEvent.of("[DONE]"), items.get(eventsBefore + 1));
            return error;
        }
    }

    @Test
    void unreachableUpstreamIs502() throws Exception {
        URI closed = URI.create("http://127.0.0.1:" + FreePort.now() + "/v1");
        URI chat = relay.start(RunningSluice.config(closed, new Secret(RunningSluice.KEY)));
        ContentResponse response = relay.client().post(chat, STREAM);
        assertEquals(502, response.getStatus());
        JsonNode error = JSON.readTree(response.getContent()).path("error");
        assertEquals("upstream_unreachable", error.path("type").asText());
        assertFalse(error.path("message").asText().isEmpty());
    }

    @Test
    void malformedJsonIs400WithThePosition() throws Exception {
        URI chat = relay.start(exchange -> {
            throw new AssertionError("a refused request must not reach the upstream");
        });
        ContentResponse response = relay.client().post(chat,
                "{\"model\": \"m\",\n \"stream\": tru }");
        assertEquals(400, response.getStatus());
        String message = JSON.readTree(response.getContent()).path("error").path("message")
                .asText();
        assertTrue(message.contains("not valid JSON"), message);
        assertTrue(message.contains("line 2"), message);
    }

    @Test
    void bodyThatIsNotAnObjectIs400() throws Exception {
        URI chat = relay.start(exchange -> {
            throw new AssertionError("a refused request must not reach the upstream");
        });
        assertEquals(400, relay.client().post(chat, "[1,2,3]").getStatus());
        assertEquals(400, relay.client().post(chat, "{\"stream\":\"yes\",\"messages\":[]}")
                .getStatus());
    }

    @Test
    void bodyOverTheLimitIs413() throws Exception {
        URI chat = relay.start(exchange -> {
            throw new AssertionError("a refused request must not reach the upstream");
        });
        String big = "{\"messages\":[{\"role\":\"user\",\"content\":\""
                + "a".repeat(1 << 20) + "\"}]}";
        ContentResponse response = relay.client().post(chat, big);
        assertEquals(413, response.getStatus());
        assertTrue(JSON.readTree(response.getContent()).path("error").path("message").asText()
                .contains("larger than"));
    }
}
