package dev.sluice.simulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Config;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A route whose key is unset and that has no simulation answers 503, saying which variable to
 * set, and never calls its provider keyless; a URL chosen through url-env is called keyless.
 */
class KeylessRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"m\",\"max_tokens\":5,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    @TempDir
    Path dir;

    private final AtomicInteger calls = new AtomicInteger();
    private FakeUpstream upstream;
    private TestClient client;

    @BeforeEach
    void start() throws Exception {
        upstream = new FakeUpstream(exchange -> {
            calls.incrementAndGet();
            exchange.respond(200, "application/json",
                    "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[]}");
        });
        client = new TestClient();
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        upstream.close();
        assertNull(upstream.scriptFailure());
    }

    /** Two routes to the fake upstream, both with a key-env, with {@code extra} settings. */
    private RunningSluice sluice(Map<String, String> extra) throws Exception {
        Path routes = dir.resolve("routes.properties");
        Files.writeString(routes, """
                route.gpt.prefix = /gpt
                route.gpt.url = %1$s
                route.gpt.url-env = SLUICE_TEST_GPT_URL
                route.gpt.key-env = SLUICE_TEST_GPT_KEY
                route.claude.prefix = /claude
                route.claude.dialect = anthropic-messages
                route.claude.url = %1$s
                route.claude.key-env = SLUICE_TEST_CLAUDE_KEY
                """.formatted(upstream.baseUrl()));
        Map<String, String> env = new HashMap<>(Map.of("SLUICE_PORT", "0",
                "SLUICE_ROUTES", routes.toString()));
        env.putAll(extra);
        return new RunningSluice(Config.load(env, new Properties()));
    }

    @Test
    void aRouteWithoutItsKeyAnswers503InItsDialectsShapeWithoutCallingOut() throws Exception {
        try (RunningSluice sluice = sluice(Map.of())) {
            ContentResponse gpt = client.post(sluice.uri("/gpt/chat/completions"), CHAT);
            assertEquals(503, gpt.getStatus());
            JsonNode error = JSON.readTree(gpt.getContent()).path("error");
            assertEquals("upstream_not_configured", error.path("type").asText());
            assertTrue(error.path("message").asText().startsWith(
                    "no SLUICE_TEST_GPT_KEY is set"), error.toString());

            ContentResponse claude = client.post(sluice.uri("/claude/v1/messages"), CHAT);
            assertEquals(503, claude.getStatus());
            JsonNode body = JSON.readTree(claude.getContent());
            assertEquals("error", body.path("type").asText(), "Anthropic's error shape");
            assertTrue(body.path("error").path("message").asText().startsWith(
                    "no SLUICE_TEST_CLAUDE_KEY is set"), body.toString());

            ContentResponse streamed = client.post(sluice.uri("/claude/v1/messages"),
                    CHAT.replace("{", "{\"stream\":true,"));
            assertEquals(503, streamed.getStatus());
            assertEquals(0, calls.get(), "no keyless request reached the provider");
            assertTrue(sluice.config().describe().toString().contains(
                    "SLUICE_TEST_CLAUDE_KEY is unset, so it answers 503"), "the start-up log");
        }
    }

    @Test
    void withTheKeySetTheRouteCallsItsProviderWithIt() throws Exception {
        try (RunningSluice sluice = sluice(Map.of("SLUICE_TEST_CLAUDE_KEY", RunningSluice.KEY))) {
            ContentResponse claude = client.post(sluice.uri("/claude/v1/messages"), CHAT);
            assertEquals(200, claude.getStatus());
            assertEquals(RunningSluice.KEY, upstream.takeRequest().headers().get("x-api-key"));
            assertEquals(503, client.post(sluice.uri("/gpt/chat/completions"), CHAT).getStatus());
            assertEquals(1, calls.get());
        }
    }

    @Test
    void aUrlChosenThroughUrlEnvIsCalledWithoutAKey() throws Exception {
        // A local OpenAI-compatible server (llama.cpp, vLLM, Ollama) needs no key.
        try (RunningSluice sluice = sluice(Map.of("SLUICE_TEST_GPT_URL",
                upstream.baseUrl().toString()))) {
            ContentResponse gpt = client.post(sluice.uri("/gpt/chat/completions"), CHAT);
            assertEquals(200, gpt.getStatus());
            assertNull(upstream.takeRequest().headers().get("authorization"));
        }
    }

    @Test
    void theBuiltInRoutesFallBackToTheSimulationWithoutKeyOrUrl() {
        Config none = Config.load(Map.of(), new Properties());
        assertTrue(none.route("openai").simulated());
        assertTrue(none.route("anthropic").simulated());
        Config local = Config.load(Map.of("ANTHROPIC_BASE_URL", "http://127.0.0.1:9"),
                new Properties());
        assertNull(local.route("anthropic").missingKey(), "a URL of one's own needs no key");
        assertTrue(local.describe().values().stream()
                .noneMatch(line -> line.contains("503")));
    }
}
