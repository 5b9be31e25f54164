package dev.sluice.relay;

import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Policy;
import dev.sluice.config.Route;
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
 * Every answer with a usage report is charged to the caller's daily budget and logged with its
 * counts, whatever the path: streamed, plain text, drained after the client left, or a whole
 * JSON answer; and whether the upstream writes {@code "usage":{} or, as Python's
 * {@code json.dumps} does, {@code "usage": {}. A budget of 50 tokens is used up by one answer
 * of 53, so the next request is refused.
 */
class BudgetTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "slc_budget-test-token";
    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String WHOLE = "{\"model\":\"m\",\"stream\":false,\"messages\":[]}";
    private static final String TEXT_CHUNK = "data: {\"id\": \"c\", \"choices\": [{\"index\": 0, "
            + "\"delta\": {\"content\": \"hi\"}}]}\n\n";
    /** As a Python server writes it: a space after every colon and comma. */
    private static final String USAGE_CHUNK = "data: {\"id\": \"c\", \"choices\": [], \"usage\": "
            + "{\"prompt_tokens\": 20, \"completion_tokens\": 33, \"total_tokens\": 53}}\n\n";
    private static final String SPACED_STREAM = TEXT_CHUNK + USAGE_CHUNK + "data: [DONE]\n\n";
    private static final String COMPLETION = "{\"id\": \"c\", \"object\": \"chat.completion\", "
            + "\"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": "
            + "\"hi\"}, \"finish_reason\": \"stop\"}], \"usage\": {\"prompt_tokens\": 20, "
            + "\"completion_tokens\": 33, \"total_tokens\": 53}}";

    @RegisterExtension
    final Relay relay = new Relay();

    @RegisterExtension
    final TranscriptLines lines = new TranscriptLines();

    private URI start(FakeUpstream.Script script) throws Exception {
        FakeUpstream upstream = relay.upstream(script);
        Client small = new Client("small", Set.of(), Set.of(), 0, 0, 50);
        return relay.start(TestConfig.relayingTo(upstream.baseUrl(), null)
                .route(new Route("billed", "/billed", upstream.baseUrl(), "openai-chat", null,
                        Policy.NONE, true))
                .route(new Route("claude", "/claude", upstream.baseUrl(), "anthropic-messages",
                        null, Policy.NONE, false))
                .route(new Route("responses", "/responses", upstream.baseUrl(),
                        "openai-responses", null, Policy.NONE, false))
                .access(new Access(Map.of(sha256(TOKEN), small), null, null, Set.of())).build());
    }

    private ContentResponse post(URI uri, String body, String... headers) throws Exception {
        String[] all = new String[headers.length + 2];
        all[0] = "Authorization";
        all[1] = "Bearer " + TOKEN;
        System.arraycopy(headers, 0, all, 2, headers.length);
        return relay.client().post(uri, body, all);
    }

    private void assertBudgetUsedUp(URI chat) throws Exception {
        relay.sluiceStreamsDone();
        ContentResponse refused = post(chat, STREAM);
        assertEquals(429, refused.getStatus(), refused.getContentAsString());
        assertEquals("the daily budget of 50 tokens is used up", JSON.readTree(
                refused.getContent()).path("error").path("message").asText());
    }

    private void assertLoggedUsage(JsonNode line) {
        assertEquals(20, line.path("prompt_tokens").asInt(), line.toString());
        assertEquals(33, line.path("completion_tokens").asInt(), line.toString());
    }

    @Test
    void aStreamWithSpacedUsageIsChargedAndTheUsageItAskedForIsKeptFromTheClient()
            throws Exception {
        URI chat = start(exchange -> exchange.startStream().write(SPACED_STREAM).end());
        try (TestClient.Stream stream = relay.client().stream(chat, STREAM, "Authorization",
                "Bearer " + TOKEN)) {
            List<SseItem> events = stream.rest();
            assertEquals(List.of(SseEvent.of(TEXT_CHUNK.substring(6, TEXT_CHUNK.length() - 2)),
                    SseEvent.of("[DONE]")), events, "the client did not ask for usage");
        }
        assertTrue(JSON.readTree(relay.upstream().takeRequest().body()).path("stream_options")
                .path("include_usage").asBoolean());
        assertBudgetUsedUp(chat);
        assertLoggedUsage(lines.awaitLines(1).getFirst());
    }

    @Test
    void aWholeJsonAnswerIsChargedAndLogged() throws Exception {
        URI chat = start(exchange -> exchange.respond(200, "application/json", COMPLETION));
        ContentResponse answer = post(chat, WHOLE);
        assertEquals(200, answer.getStatus());
        assertEquals(COMPLETION, answer.getContentAsString(), "the answer is relayed as it is");
        assertBudgetUsedUp(chat);
        JsonNode line = lines.awaitLines(1).getFirst();
        assertLoggedUsage(line);
        assertEquals("done", line.path("outcome").asText());
        assertEquals(200, line.path("status").asInt());
        assertFalse(line.has("truncated"));
    }

    @Test
    void anAnthropicWholeAnswerIsCharged() throws Exception {
        String message = "{\"id\": \"msg_1\", \"type\": \"message\", \"content\": [], "
                + "\"usage\": {\"input_tokens\": 20, \"output_tokens\": 33}}";
        URI chat = start(exchange -> exchange.respond(200, "application/json", message));
        URI claude = URI.create(relay.sluiceUrl() + "/claude/v1/messages");
        assertEquals(message, post(claude, WHOLE).getContentAsString());
        assertBudgetUsedUp(chat);
        assertLoggedUsage(lines.awaitLines(1).getFirst());
    }

    @Test
    void aResponsesWholeAnswerIsCharged() throws Exception {
        String response = "{\"id\": \"resp_1\", \"object\": \"response\", \"usage\": "
                + "{\"input_tokens\": 20, \"output_tokens\": 33, \"total_tokens\": 53}}";
        URI chat = start(exchange -> exchange.respond(200, "application/json", response));
        URI responses = URI.create(relay.sluiceUrl() + "/responses/responses");
        assertEquals(response, post(responses, WHOLE).getContentAsString());
        assertBudgetUsedUp(chat);
        assertLoggedUsage(lines.awaitLines(1).getFirst());
    }

    @Test
    void aPlainTextAnswerIsCharged() throws Exception {
        URI chat = start(exchange -> exchange.startStream().write(SPACED_STREAM).end());
        ContentResponse text = post(chat, STREAM, "Accept", "text/plain");
        assertEquals("hi\n", text.getContentAsString());
        assertBudgetUsedUp(chat);
    }

    @Test
    void aDrainedStreamIsChargedForTheUsageThatCameAfterTheClientLeft() throws Exception {
        CountDownLatch clientLeft = new CountDownLatch(1);
        CountDownLatch upstreamFinished = new CountDownLatch(1);
        URI chat = start(exchange -> {
            exchange.startStream().write(TEXT_CHUNK);
            assertTrue(clientLeft.await(10, TimeUnit.SECONDS));
            exchange.write(TEXT_CHUNK + USAGE_CHUNK + "data: [DONE]\n\n").end();
            upstreamFinished.countDown();
        });
        URI billed = URI.create(relay.sluiceUrl() + "/billed/chat/completions");
        TestClient.Stream stream = relay.client().stream(billed, STREAM, "Authorization",
                "Bearer " + TOKEN);
        stream.nextEvent();
        stream.abort();
        clientLeft.countDown();
        assertTrue(upstreamFinished.await(15, TimeUnit.SECONDS));
        assertBudgetUsedUp(chat);
        assertLoggedUsage(lines.awaitLines(1).getFirst());
    }

    @Test
    void anEventThatOnlyLooksLikeUsageChargesNothingAndBreaksNothing() throws Exception {
        String broken = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":20,\n\n";
        URI chat = start(exchange -> exchange.startStream().write(TEXT_CHUNK + broken
                + "data: [DONE]\n\n").end());
        try (TestClient.Stream stream = relay.client().stream(chat, STREAM, "Authorization",
                "Bearer " + TOKEN)) {
            assertEquals(3, stream.rest().size(), "not usage, so the client gets it");
        }
        relay.sluiceStreamsDone();
        JsonNode line = lines.awaitLines(1).getFirst();
        assertEquals("done", line.path("outcome").asText());
        assertTrue(line.path("prompt_tokens").isNull(), line.toString());
        assertEquals(200, post(chat, STREAM).getStatus(), "nothing was charged");
    }
}
