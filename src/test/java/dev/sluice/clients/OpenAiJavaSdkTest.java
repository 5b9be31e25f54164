package dev.sluice.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.RateLimitException;
import com.openai.errors.SseException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestConfig;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The official OpenAI Java SDK, pointed at Sluice by its base URL alone, against the simulated
 * upstream and a fake provider: streams, whole answers, usage and errors reach it as from OpenAI.
 */
class OpenAiJavaSdkTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Tokens a model could send: accents, an emoji (a surrogate pair), a line break, quotes. */
    private static final List<String> TOKENS =
            List.of("Hé", "llo", ", wörld", " 🌊", "\n", "\"quoted\"", " \\ end.");

    @RegisterExtension
    final Relay relay = new Relay();
    private OpenAIClient sdk;

    @AfterEach
    void closeSdk() {
        if (sdk != null) {
            sdk.close();
        }
    }

    @Test
    void streamedTextIsExactlyTheUpstreamText() throws Exception {
        URI chat = relay.start(OpenAiJavaSdkTest::writeTokens);
        StringBuilder text = new StringBuilder();
        String finish = null;
        try (StreamResponse<ChatCompletionChunk> stream =
                sdk(chat).chat().completions().createStreaming(question("Hi"))) {
            for (ChatCompletionChunk chunk : chunks(stream)) {
                for (ChatCompletionChunk.Choice choice : chunk.choices()) {
                    choice.delta().content().ifPresent(text::append);
                    if (choice.finishReason().isPresent()) {
                        finish = choice.finishReason().get().asString();
                    }
                }
            }
        }
        assertEquals(String.join("", TOKENS), text.toString());
        assertEquals("stop", finish);
        FakeUpstream.Request request = relay.upstream().takeRequest();
        assertEquals("Bearer " + RunningSluice.KEY, request.headers().get("authorization"),
                "the upstream gets Sluice's key, never the client's token");
    }

    @Test
    void resumableStreamReadsAsThePlainOneWithoutItsIdsOrPrimingBlock() throws Exception {
        URI chat = relay.start(OpenAiJavaSdkTest::writeTokens);
        List<ChatCompletionChunk> plain = new ArrayList<>();
        String plainId = read(sdk(chat), plain);
        List<ChatCompletionChunk> resumable = new ArrayList<>();
        String resumableId;
        OpenAIClient client = builder(chat).putHeader("X-Sluice-Resumable", "true").build();
        try {
            resumableId = read(client, resumable);
        } finally {
            client.close();
        }
        assertNull(plainId, "a plain stream is not resumable");
        assertTrue(resumableId != null && resumableId.matches("[A-Za-z0-9_-]{16,}"),
                "the stream was resumable: " + resumableId);
        assertEquals(plain, resumable, "the same chunks, no more");
        StringBuilder text = new StringBuilder();
        resumable.forEach(c -> c.choices().forEach(ch -> ch.delta().content()
                .ifPresent(text::append)));
        assertEquals(String.join("", TOKENS), text.toString());
    }

    /** Reads a streamed answer to its end into {@code chunks}; its X-Sluice-Stream-Id or null. */
    private static String read(OpenAIClient client, List<ChatCompletionChunk> chunks) {
        HttpResponseFor<StreamResponse<ChatCompletionChunk>> response =
                client.chat().completions().withRawResponse().createStreaming(question("Hi"));
        try (StreamResponse<ChatCompletionChunk> stream = response.parse()) {
            stream.stream().forEach(chunks::add);
        }
        return response.headers().values("X-Sluice-Stream-Id").stream().findFirst().orElse(null);
    }

    /** A whole streamed answer, each of TOKENS a chunk. */
    private static void writeTokens(FakeUpstream.Exchange exchange) throws IOException {
        exchange.startStream();
        exchange.write(chunk(role(), null));
        for (String token : TOKENS) {
            exchange.write(chunk(content(token), null));
        }
        exchange.write(chunk(JSON.createObjectNode(), "stop"));
        exchange.write("data: [DONE]\n\n");
        exchange.end();
    }

    @Test
    void simulatedStreamMatchesTheWholeAnswerAndDeliversUsage() throws Exception {
        URI chat = relay.start(TestConfig.relayingTo(null, null).build());
        OpenAIClient client = sdk(chat);
        ChatCompletionCreateParams params = question("Hello, how does streaming work?")
                .toBuilder()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                .build();
        StringBuilder text = new StringBuilder();
        List<CompletionUsage> usages = new ArrayList<>();
        int chunks = 0;
        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(params)) {
            for (ChatCompletionChunk chunk : chunks(stream)) {
                chunks++;
                chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append));
                chunk.usage().ifPresent(usages::add);
            }
        }
        ChatCompletion whole = client.chat().completions().create(question(
                "Hello, how does streaming work?"));
        String expected = whole.choices().getFirst().message().content().orElseThrow();
        assertTrue(expected.startsWith("Hello! I am Sluice's simulated upstream."), expected);
        assertEquals(expected, text.toString());
        assertTrue(chunks > 10, "one chunk per token, got " + chunks);
        assertEquals(1, usages.size(), "usage comes once, in the last chunk");
        CompletionUsage usage = usages.getFirst();
        assertTrue(usage.completionTokens() > 0);
        assertEquals(usage.promptTokens() + usage.completionTokens(), usage.totalTokens());
        assertEquals(whole.usage().orElseThrow().completionTokens(), usage.completionTokens());
    }

    @Test
    void wholeAnswerFromTheUpstreamParses() throws Exception {
        URI chat = relay.start(exchange -> exchange.respond(200, "application/json", """
                {"id":"chatcmpl-7","object":"chat.completion","created":1700000000,\
                "model":"gpt-test","choices":[{"index":0,"message":{"role":"assistant",\
                "content":"Grüße 🌊","refusal":null},"logprobs":null,"finish_reason":"stop"}],\
                "usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"""));
        ChatCompletion completion = sdk(chat).chat().completions().create(question("Hi"));
        assertEquals("chatcmpl-7", completion.id());
        assertEquals("Grüße 🌊",
                completion.choices().getFirst().message().content().orElseThrow());
        assertEquals(7, completion.usage().orElseThrow().totalTokens());
        assertFalse(relay.upstream().takeRequest().bodyText().contains("\"stream\":true"));
    }

    @Test
    void upstreamRateLimitIsTheSdksRateLimitException() throws Exception {
        URI chat = relay.start(exchange -> exchange.respond(429, "application/json", """
                {"error":{"message":"Rate limit reached for gpt-test","type":"requests",\
                "param":null,"code":"rate_limit_exceeded"}}""", "Retry-After", "7"));
        RateLimitException e = assertThrows(RateLimitException.class,
                () -> sdk(chat).chat().completions().createStreaming(question("Hi")).close());
        assertEquals(429, e.statusCode());
        assertEquals("rate_limit_exceeded", e.code().orElseThrow());
        assertTrue(e.getMessage().contains("Rate limit reached for gpt-test"), e.getMessage());
        assertEquals("7", e.headers().values("retry-after").getFirst());
    }

    @Test
    void upstreamFailureMidStreamIsAnSdkError() throws Exception {
        CountDownLatch clientHasText = new CountDownLatch(1);
        URI chat = relay.start(exchange -> {
            exchange.startStream();
            exchange.write(chunk(content("Partial"), null));
            exchange.write(chunk(content(" answer"), null));
            // A reset discards what the relay has not read yet, so it waits for the client.
            assertTrue(clientHasText.await(10, TimeUnit.SECONDS));
            exchange.reset();
        });
        StringBuilder text = new StringBuilder();
        OpenAIServiceException e;
        try (StreamResponse<ChatCompletionChunk> stream =
                sdk(chat).chat().completions().createStreaming(question("Hi"))) {
            Iterator<ChatCompletionChunk> chunks = stream.stream().iterator();
            e = assertThrows(SseException.class, () -> {
                while (chunks.hasNext()) {
                    chunks.next().choices()
                            .forEach(c -> c.delta().content().ifPresent(text::append));
                    if (text.toString().equals("Partial answer")) {
                        clientHasText.countDown();
                    }
                }
            });
        }
        assertEquals("Partial answer", text.toString(), "no error text leaks into the answer");
        assertEquals("upstream_error", e.type().orElseThrow());
        assertTrue(e.getMessage().contains("upstream stream failed"), e.getMessage());
    }

    @Test
    void closingTheStreamClosesTheUpstreamConnection() throws Exception {
        CountDownLatch clientLeft = new CountDownLatch(1);
        CountDownLatch upstreamClosed = new CountDownLatch(1);
        URI chat = relay.start(exchange -> {
            exchange.startStream().write(chunk(content("token 0"), null));
            assertTrue(clientLeft.await(10, TimeUnit.SECONDS));
            // A provider keeps generating, one token every 20 ms, until its peer lets go.
            for (int i = 1; i <= 500 && !exchange.awaitPeerClosed(20, TimeUnit.MILLISECONDS); i++) {
                try {
                    exchange.write(chunk(content(" token " + i), null));
                } catch (IOException e) {
                    break; // the relay reset the connection
                }
            }
            if (exchange.awaitPeerClosed(1, TimeUnit.SECONDS)) {
                upstreamClosed.countDown();
            }
        });
        try (StreamResponse<ChatCompletionChunk> stream =
                sdk(chat).chat().completions().createStreaming(question("Hi"))) {
            ChatCompletionChunk first = stream.stream().iterator().next();
            assertEquals("token 0", first.choices().getFirst().delta().content().orElseThrow());
        }
        clientLeft.countDown();
        assertTrue(upstreamClosed.await(15, TimeUnit.SECONDS),
                "the upstream connection stayed open after the SDK closed its stream");
    }

    private OpenAIClient sdk(URI chat) {
        sdk = builder(chat).build();
        return sdk;
    }

    private static OpenAIOkHttpClient.Builder builder(URI chat) {
        return OpenAIOkHttpClient.builder()
                .baseUrl(chat.resolve("/v1").toString())
                .apiKey("client-token-not-forwarded")
                .maxRetries(0) // Sluice's own retries are the subject here, not the SDK's
                .timeout(Duration.ofSeconds(20));
    }

    private static Iterable<ChatCompletionChunk> chunks(StreamResponse<ChatCompletionChunk> s) {
        return s.stream()::iterator;
    }

    private static ChatCompletionCreateParams question(String text) {
        return ChatCompletionCreateParams.builder().model("gpt-test").addUserMessage(text).build();
    }

    private static ObjectNode role() {
        return JSON.createObjectNode().put("role", "assistant").put("content", "");
    }

    private static ObjectNode content(String token) {
        return JSON.createObjectNode().put("content", token);
    }

    /** One OpenAI stream chunk as an SSE event. */
    private static String chunk(ObjectNode delta, String finishReason) {
        ObjectNode chunk = JSON.createObjectNode()
                .put("id", "chatcmpl-fake")
                .put("object", "chat.completion.chunk")
                .put("created", 1_700_000_000)
                .put("model", "gpt-test");
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        return "data: " + chunk + "\n\n";
    }
}
