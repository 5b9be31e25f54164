package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Policy;
import dev.sluice.config.Route;
import dev.sluice.config.Secret;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseItem;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import dev.sluice.testing.TranscriptLines;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Each dialect end to end against a fake upstream that writes that provider's stream shape: the
 * right path, credential and headers upstream, the events back unchanged, the stream's end, and
 * a transcript whose answer is the sum of the deltas.
 */
class RoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ANTHROPIC_KEY = "sk-ant-fake-Qw3rTy7u";
    private static final String ANTHROPIC_STREAM = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":\
            "assistant","content":[],"model":"claude-test","stop_reason":null,\
            "stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"text",\
            "text":""}}

            event: ping
            data: {"type": "ping"}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta",\
            "text":"Hello"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta",\
            "text":" there!"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn",\
            "stop_sequence":null},"usage":{"output_tokens":12}}

            event: message_delta
            data: {"type":"message_delta","delta":{},"usage":{"output_tokens":15}}

            event: message_stop
            data: {"type":"message_stop"}

            """;

    @RegisterExtension
    final Relay relay = new Relay();

    @RegisterExtension
    final TranscriptLines transcripts = new TranscriptLines();

    private void start(FakeUpstream.Script script, Route route) throws Exception {
        FakeUpstream upstream = relay.upstream(script);
        Route bound = new Route(route.name(), route.prefix(), upstream.baseUrl(), route.dialect(),
                null, route.policy()).keys(route.keys());
        relay.start(TestConfig.relayingTo(upstream.baseUrl(), null).route(bound).logContent()
                .build());
    }

    private URI sluice(String path) {
        return URI.create(relay.sluiceUrl() + path);
    }

    @Test
    void anthropicStreamIsRelayedWithItsOwnHeadersAndEndsAtMessageStop() throws Exception {
        CountDownLatch clientDone = new CountDownLatch(1);
        start(exchange -> {
            exchange.startStream().write(ANTHROPIC_STREAM);
            clientDone.await(10, TimeUnit.SECONDS); // stays open: message_stop must end it
        }, new Route("anthropic", "/anthropic", null, "anthropic-messages",
                new Secret(ANTHROPIC_KEY), new Policy(Set.of(), null, Map.of(), Map.of(),
                        Map.of(), Map.of("anthropic-version", "2023-06-01"))));
        String body = "{\"model\":\"claude-test\",\"max_tokens\":64,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        List<SseItem> items;
        try (TestClient.Stream stream = relay.client().stream(sluice("/anthropic/v1/messages"),
                body, "anthropic-beta", "tools-2024-04-04", "x-api-key", "client-key")) {
            items = stream.rest();
        } finally {
            clientDone.countDown();
        }
        FakeUpstream.Request request = relay.upstream().takeRequest();
        assertEquals("/v1/v1/messages", request.path());
        assertEquals(ANTHROPIC_KEY, request.headers().get("x-api-key"));
        assertEquals("2023-06-01", request.headers().get("anthropic-version"));
        assertEquals("tools-2024-04-04", request.headers().get("anthropic-beta"));
        assertFalse(request.headers().containsKey("authorization"));
        assertEquals(JSON.readTree(body), JSON.readTree(request.bodyText()));
        assertEquals(9, items.size());
        assertEquals("message_start", ((SseEvent) items.getFirst()).type());
        assertEquals(new SseEvent("message_stop", "{\"type\":\"message_stop\"}", null, null),
                items.getLast());

        JsonNode line = transcripts.awaitLines(1).getFirst();
        assertEquals("anthropic", line.path("route").asText());
        assertEquals("done", line.path("outcome").asText());
        assertEquals(25, line.path("prompt_tokens").asInt());
        assertEquals(15, line.path("completion_tokens").asInt(), "cumulative, not added up");
        assertEquals("Hello there!", line.path("answer").path("content").path(0).path("text")
                .asText());
        assertEquals("end_turn", line.path("answer").path("stop_reason").asText());
        assertEquals(new Secret(ANTHROPIC_KEY).fingerprint(), line.path("key").asText());
        assertFalse(line.toString().contains(ANTHROPIC_KEY));
    }

    @Test
    void anthropicErrorEventMidStreamIsForwardedAsIs() throws Exception {
        String head = ANTHROPIC_STREAM.substring(0, ANTHROPIC_STREAM.indexOf("event: content_block_stop"));
        String error = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
                + "\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        start(exchange -> exchange.startStream().write(head + error).end(),
                new Route("anthropic", "/anthropic", null, "anthropic-messages", null,
                        Policy.NONE));
        try (TestClient.Stream stream = relay.client().stream(sluice("/anthropic/v1/messages"),
                "{\"model\":\"claude-test\",\"max_tokens\":64,\"stream\":true,\"messages\":[]}")) {
            List<SseItem> items = stream.rest();
            assertEquals(SseEvent.of("error", "{\"type\":\"error\",\"error\":{\"type\":"
                    + "\"overloaded_error\",\"message\":\"Overloaded\"}}"), items.getLast());
            assertEquals(1, items.stream().filter(i -> i instanceof SseEvent e
                    && "error".equals(e.type())).count());
        }
    }

    @Test
    void openAiToolCallDeltasAreMergedInTheTranscriptAndUsageIsAskedForButNotForwarded()
            throws Exception {
        String head = "{\"id\":\"chatcmpl-7\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                + "\"model\":\"gpt-test\",\"choices\":[{\"index\":0,\"delta\":";
        String stream = "data: " + head + "{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,"
                + "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                + "\"arguments\":\"\"}}]},\"finish_reason\":null}],\"usage\":null}\n\n"
                + "data: " + head + "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
                + "\"{\\\"city\\\":\"}}]},\"finish_reason\":null}],\"usage\":null}\n\n"
                + "data: " + head + "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
                + "\"\\\"Paris\\\"}\"}}]},\"finish_reason\":null}],\"usage\":null}\n\n"
                + "data: " + head + "{},\"finish_reason\":\"tool_calls\"}],\"usage\":null}\n\n"
                + "data: {\"id\":\"chatcmpl-7\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                + "\"model\":\"gpt-test\",\"choices\":[],\"usage\":{\"prompt_tokens\":40,"
                + "\"completion_tokens\":9,\"total_tokens\":49}}\n\n"
                + "data: [DONE]\n\n";
        FakeUpstream upstream = relay.upstream(exchange -> exchange.startStream().write(stream)
                .end());
        URI chat = relay.start(TestConfig.relayingTo(upstream.baseUrl(), null).logContent()
                .build());
        try (TestClient.Stream s = relay.client().stream(chat, "{\"model\":\"gpt-test\","
                + "\"stream\":true,\"messages\":[]}")) {
            List<SseItem> items = s.rest();
            assertEquals(5, items.size(), "the usage chunk the client did not ask for is held back");
            assertEquals(SseEvent.of("[DONE]"), items.getLast());
        }
        assertTrue(JSON.readTree(upstream.takeRequest().bodyText()).path("stream_options")
                .path("include_usage").asBoolean());
        JsonNode line = transcripts.awaitLines(1).getFirst();
        assertEquals(40, line.path("prompt_tokens").asInt());
        assertEquals(9, line.path("completion_tokens").asInt());
        JsonNode call = line.path("answer").path("choices").path(0).path("message")
                .path("tool_calls").path(0);
        assertEquals("call_1", call.path("id").asText());
        assertEquals("get_weather", call.path("function").path("name").asText());
        assertEquals("{\"city\":\"Paris\"}", call.path("function").path("arguments").asText());
        assertEquals("tool_calls", line.path("answer").path("choices").path(0)
                .path("finish_reason").asText());
    }

    @Test
    void customGptRouteFixesItsQueryAndEndsAtTheFinishEvent() throws Exception {
        CountDownLatch clientDone = new CountDownLatch(1);
        start(exchange -> {
            exchange.startStream().write("data: {\"status\":\"progress\",\"message\":\"Blue\"}\n\n"
                    + "data: {\"status\":\"progress\",\"message\":\"berries\"}\n\n"
                    + "data: {\"status\":\"finish\",\"message\":null,\"citations\":[101]}\n\n");
            clientDone.await(10, TimeUnit.SECONDS);
        }, new Route("customgpt", "/customgpt", null, "customgpt", null, new Policy(Set.of(),
                null, Map.of(), Map.of(), Map.of("stream", "true", "lang", "nl"), Map.of())));
        try (TestClient.Stream stream = relay.client().stream(
                sluice("/customgpt/conversations/7/messages?lang=en&page=2"),
                "{\"prompt\":\"Which fruit?\"}")) {
            assertEquals(3, stream.rest().size());
        } finally {
            clientDone.countDown();
        }
        String path = relay.upstream().takeRequest().path();
        assertTrue(path.startsWith("/v1/conversations/7/messages?"), path);
        assertTrue(path.contains("page=2") && path.contains("lang=nl")
                && path.contains("stream=true") && !path.contains("lang=en"), path);
        assertEquals("Blueberries", transcripts.awaitLines(1).getFirst().path("answer")
                .path("message").asText());
    }

    @Test
    void responsesStreamEndsAtResponseCompletedAndTextModeGivesTheText() throws Exception {
        CountDownLatch clientDone = new CountDownLatch(1);
        start(exchange -> {
            exchange.startStream().write("event: response.created\ndata: {\"type\":"
                    + "\"response.created\",\"response\":{\"id\":\"resp_1\"}}\n\n"
                    + "event: response.output_text.delta\ndata: {\"type\":"
                    + "\"response.output_text.delta\",\"delta\":\"Bonjour\"}\n\n"
                    + "event: response.output_text.delta\ndata: {\"type\":"
                    + "\"response.output_text.delta\",\"delta\":\" \u00e0 tous\"}\n\n"
                    + "event: response.completed\ndata: {\"type\":\"response.completed\","
                    + "\"response\":{\"id\":\"resp_1\",\"usage\":{\"input_tokens\":5,"
                    + "\"output_tokens\":3}}}\n\n");
            clientDone.await(10, TimeUnit.SECONDS);
        }, new Route("responses", "/responses-api", null, "openai-responses", null,
                Policy.NONE));
        try (TestClient.Stream stream = relay.client().stream(sluice("/responses-api/responses"),
                "{\"model\":\"gpt-test\",\"stream\":true,\"input\":\"hi\"}",
                "Accept", "text/plain")) {
            assertTrue(stream.response().getHeaders().get("Content-Type").startsWith("text/plain"));
            assertEquals("Bonjour \u00e0 tous\n", new String(stream.restBytes(),
                    java.nio.charset.StandardCharsets.UTF_8));
        } finally {
            clientDone.countDown();
        }
        JsonNode line = transcripts.awaitLines(1).getFirst();
        assertEquals(3, line.path("completion_tokens").asInt());
        assertEquals("done", line.path("outcome").asText());
    }

    @Test
    void policyForcesFieldsCapsTokensAndRefusesOtherModels() throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> exchange.respond(200,
                "application/json", "{\"object\":\"chat.completion\"}"));
        Policy policy = new Policy(Set.of("gpt-small", "gpt-large"), 256,
                Map.of("user", JSON.readTree("\"sluice\"")),
                Map.of("temperature", JSON.readTree("0.2")), Map.of(), Map.of());
        URI chat = relay.start(TestConfig.relayingTo(upstream.baseUrl(), null).policy(policy)
                .build());

        ContentResponse refused = relay.client().post(chat, "{\"model\":\"gpt-huge\"}");
        assertEquals(400, refused.getStatus());
        assertEquals("model 'gpt-huge' is not allowed; this route allows: gpt-large, gpt-small",
                JSON.readTree(refused.getContent()).path("error").path("message").asText());

        assertEquals(200, relay.client().post(chat, "{\"model\":\"gpt-small\",\"user\":\"me\","
                + "\"max_tokens\":100000,\"temperature\":1}").getStatus());
        JsonNode sent = JSON.readTree(upstream.takeRequest().bodyText());
        assertEquals("sluice", sent.path("user").asText(), "forced fields win");
        assertEquals(256, sent.path("max_tokens").asInt(), "capped");
        assertEquals(1, sent.path("temperature").asInt(), "defaults do not override the client");

        assertEquals(200, relay.client().post(chat, "{\"model\":\"gpt-large\"}").getStatus());
        JsonNode defaulted = JSON.readTree(upstream.takeRequest().bodyText());
        assertEquals(0.2, defaulted.path("temperature").asDouble());
        assertEquals(256, defaulted.path("max_completion_tokens").asInt(), "a cap is always set");
    }

    @Test
    void unsafePathsAreRefusedAndNeverReachTheUpstream() throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> {
            throw new AssertionError("an unsafe path reached the upstream: "
                    + exchange.request().path());
        });
        relay.start(TestConfig.relayingTo(upstream.baseUrl(), null).build());
        // Sent over a raw socket: an HTTP client would normalise these paths before sending.
        for (String path : List.of("/v1/../admin", "/v1/a/../../x", "/v1/%2e%2e/admin",
                "/v1/a%2Fb", "/v1/a%5Cb", "/v1/http://evil.example/x", "/v1/@evil.example",
                "/v1/a/./b", "/v1/a//b", "/v1", "/v1/a\\b")) {
            int status = rawStatus(path);
            // Refused by Sluice (400), by Jetty's URI checks, or resolved by Jetty to a path
            // outside every route (404, 405): never relayed.
            assertTrue(status == 400 || status == 404 || status == 405, path + " gave " + status);
        }
        // Dot segments that stay inside the route still reach Sluice, which refuses them.
        assertEquals(400, rawStatus("/v1/a/../chat/completions"));
        assertNull(upstream.scriptFailure());
    }

    private int rawStatus(String path) throws Exception {
        URI base = URI.create(relay.sluiceUrl());
        try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
            byte[] body = "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            socket.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length
                    + "\r\nConnection: close\r\n\r\n{}").getBytes(
                            java.nio.charset.StandardCharsets.ISO_8859_1));
            String status = new String(socket.getInputStream().readNBytes(12),
                    java.nio.charset.StandardCharsets.ISO_8859_1);
            return Integer.parseInt(status.substring(9, 12));
        }
    }
}
