package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The route table: the built-in routes, a file of one's own, overrides and clear refusals. */
class RoutesConfigTest {

    @TempDir
    Path dir;

    private Path routes(String text) throws IOException {
        Path file = dir.resolve("routes.properties");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void builtInRoutesAreOpenAiAtV1AndAnthropicAtAnthropic() {
        Config config = Config.load(Map.of("ANTHROPIC_API_KEY", "sk-ant-x-123456"),
                new Properties());

        Route openai = config.route("openai");
        assertEquals("/v1", openai.prefix());
        assertEquals("openai-chat", openai.dialect());
        assertTrue(openai.simulated(), "no OpenAI key or URL: the simulated upstream");
        Route anthropic = config.route("anthropic");
        assertEquals("/anthropic", anthropic.prefix());
        assertEquals("anthropic-messages", anthropic.dialect());
        assertEquals(URI.create("https://api.anthropic.com"), anthropic.url());
        assertEquals("sk-ant-x-123456", anthropic.key().value());
        assertEquals(Map.of("anthropic-version", "2023-06-01"), anthropic.policy().headers());
        assertEquals(2, config.routes().size(), "the CustomGPT route is an example, off");
    }

    @Test
    void routeUrlCanBeOverriddenByItsOwnVariableOrProperty() {
        Config byEnv = Config.load(Map.of("SLUICE_ROUTE_ANTHROPIC_URL", "http://127.0.0.1:9/"),
                new Properties());
        assertEquals(URI.create("http://127.0.0.1:9"), byEnv.route("anthropic").url());

        Properties system = new Properties();
        system.setProperty("sluice.route.anthropic.url", "http://127.0.0.1:10");
        Config byProperty = Config.load(Map.of("ANTHROPIC_BASE_URL", "http://127.0.0.1:11"),
                system);
        assertEquals(URI.create("http://127.0.0.1:10"), byProperty.route("anthropic").url());

        Config byUrlEnv = Config.load(Map.of("ANTHROPIC_BASE_URL", "http://127.0.0.1:11"),
                new Properties());
        assertEquals(URI.create("http://127.0.0.1:11"), byUrlEnv.route("anthropic").url());
    }

    @Test
    void aFileOfOnesOwnReplacesTheBuiltInRoutes() throws IOException {
        Path file = routes("""
                route.rag.prefix = /rag
                route.rag.dialect = customgpt
                route.rag.url = https://app.customgpt.ai/api/v1/projects/42
                route.rag.key-env = RAG_KEY
                route.rag.models = a, b
                route.rag.max-tokens = 500
                route.rag.force.project = 42
                route.rag.default.lang = "nl"
                route.rag.query.stream = true
                route.rag.header.X-Tenant = acme
                """);
        Config config = Config.load(Map.of("SLUICE_ROUTES", file.toString(), "RAG_KEY", "k-9"),
                new Properties());

        assertEquals(List.of("rag"), config.routes().stream().map(Route::name).toList());
        Route rag = config.route("rag");
        assertEquals("k-9", rag.key().value());
        assertEquals(Set.of("a", "b"), rag.policy().models());
        assertEquals(500, rag.policy().maxTokens());
        assertEquals(42, rag.policy().forced().get("project").asInt());
        assertEquals("nl", rag.policy().defaults().get("lang").asText());
        assertEquals(Map.of("stream", "true"), rag.policy().query());
        assertEquals(Map.of("X-Tenant", "acme"), rag.policy().headers());
        assertFalse(config.simulated());
        assertFalse(config.describe().toString().contains("k-9"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "route.x.prefix = /x\\nroute.x.url = https://h\\nroute.x.dialect = soap | unknown dialect 'soap'",
        "route.x.prefix = /x\\nroute.x.url = ftp://h                            | route.x.url must be",
        "route.x.url = https://h                                                 | route.x.prefix is required",
        "route.x.prefix = /x                                                     | route.x.url is required",
        "route.x.prefix = /x\\nroute.x.url = https://h\\nroute.x.header.Authorization = Bearer k | would put a secret",
        "route.x.prefix = /x\\nroute.x.url = https://h\\nroute.x.colour = blue | route.x.colour is not a route setting",
        "route.x.prefix = /x\\nroute.x.url = https://h\\nroute.x.force.n = not json | must be a JSON value",
        "route.x.prefix = /x\\nroute.x.url = https://h\\nroute.y.prefix = /x\\nroute.y.url = https://h | is used by another route",
        "route.x.prefix = x\\nroute.x.url = https://h                             | prefix must be a path",
    })
    void configurationErrorsNameTheFileTheKeyAndWhatIsWrong(String text, String expected)
            throws IOException {
        Path file = routes(text.replace("\\n", "\n"));
        ConfigException e = assertThrows(ConfigException.class,
                () -> Config.load(Map.of("SLUICE_ROUTES", file.toString()), new Properties()));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void aRouteCanBeSwitchedOff() {
        Config config = Config.load(Map.of("SLUICE_ROUTE_ANTHROPIC_ENABLED", "false"),
                new Properties());
        assertEquals(List.of("openai"), config.routes().stream().map(Route::name).toList());
        assertNull(config.route("openai").key());
    }
}
