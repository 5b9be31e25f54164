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
        assertEquals("sk-ant-x-123456", anthropic.keys().getFirst().value());
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
        assertEquals("k-9", rag.keys().getFirst().value());
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
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "route.x.prefix = /x\\nroute.x.url = https://h\\nroute.x.dialect = soap | unknown dialect 'soap'",
        "route.x.prefix = /x\\nroute.x.url = ftp://h                            | route.x.url must be",
        "route.x.url = https://h                                                 | route.x.prefix is required",
        "route.x.prefix = /x                                                     | route.x.url is required",
        "route.x.prefix = /x\\nroute.x.url = https://h\\nroute.x.header.Authorization = Bearer k | would put a secret",
        "route.x.prefix = /x\\nroute.x.url = https://h\\nroute.x.colour = blue | route.x.colour is not a route setting",
        "route.x.prefix = /x\\nroute.x.url = https://h\\nroute.x.force.n = not json | must be a JSON value",
        "route.x.prefix = /x\\nroute.x.url = https://h\\nroute.y.prefix = /x\\nroute.y.url = https://h | is used by another route",
        "route.x.prefix = x\\nroute.x.url = https://h                             | prefix must be a path",
        "route.x.prefix = /x\\nroute.x.url = https://h\\nroute.x.dialect = sse | operations is required",
    })
    void configurationErrorsNameTheFileTheKeyAndWhatIsWrong(String text, String expected)
            throws IOException {
        Path file = routes(text.replace("\\n", "\n"));
        ConfigException e = assertThrows(ConfigException.class,
                () -> Config.load(Map.of("SLUICE_ROUTES", file.toString()), new Properties()));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "PUT /files                       | 'PUT /files': the method must be POST or GET",
        "DELETE /files/{id}               | the method must be POST or GET",
        "POST                             | 'POST' must be a method and a path",
        "/chat/completions                | must be a method and a path",
        "POST chat/completions            | the path must be plain segments",
        "POST /chat/completions/          | the path must be plain segments",
        "POST /chat//completions          | the path must be plain segments",
        "GET /files/../admin              | the path must be plain segments",
        "GET /files%2Fx                   | the path must be plain segments",
        "GET /files/**                    | the path must be plain segments",
        "GET /files/{}                    | the path must be plain segments",
        "GET /a;b                         | the path must be plain segments",
        "POST /a,, GET /b                 | '' must be a method and a path",
        "POST /a, post /a                 | route.x.operations lists 'post /a' twice",
    })
    void operationsAreCheckedAtStartUp(String operations, String expected) throws IOException {
        Path file = routes("route.x.prefix = /x\nroute.x.url = https://h\n"
                + "route.x.operations = " + operations + "\n");
        ConfigException e = assertThrows(ConfigException.class,
                () -> Config.load(Map.of("SLUICE_ROUTES", file.toString()), new Properties()));
        assertTrue(e.getMessage().startsWith(file + ": route.x.operations "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void eachDialectRelaysOnlyItsStreamingEndpointUnlessTheTableNamesOperations()
            throws IOException {
        Config builtIn = Config.load(Map.of(), new Properties());
        assertEquals(List.of(new Operation("POST", "/chat/completions")),
                builtIn.route("openai").operations());
        assertEquals(List.of(new Operation("POST", "/v1/messages")),
                builtIn.route("anthropic").operations());
        assertTrue(builtIn.describe().get("route openai /v1")
                .endsWith("; relays POST /v1/chat/completions"),
                builtIn.describe().get("route openai /v1"));

        Path file = routes("""
                route.chat.prefix = /v1
                route.chat.url = https://h/v1
                route.chat.operations = POST /chat/completions, get  /models ,GET /responses/{id}
                route.resp.prefix = /resp
                route.resp.url = https://h/v1
                route.resp.dialect = openai-responses
                route.rag.prefix = /rag
                route.rag.url = https://h/projects/7
                route.rag.dialect = customgpt
                route.events.prefix = /events
                route.events.url = https://h
                route.events.dialect = sse
                route.events.operations = GET /feed/*
                """);
        Config config = Config.load(Map.of("SLUICE_ROUTES", file.toString()), new Properties());
        assertEquals(List.of(new Operation("POST", "/chat/completions"),
                new Operation("GET", "/models"), new Operation("GET", "/responses/{id}")),
                config.route("chat").operations());
        assertEquals(List.of(new Operation("POST", "/responses")),
                config.route("resp").operations());
        assertEquals(List.of(new Operation("POST", "/conversations/{session}/messages")),
                config.route("rag").operations());
        assertEquals(List.of(new Operation("GET", "/feed/*")),
                config.route("events").operations());
        assertTrue(config.describe().get("route chat /v1").endsWith("; relays POST "
                + "/v1/chat/completions, GET /v1/models, GET /v1/responses/{id}"),
                config.describe().get("route chat /v1"));

        Config overridden = Config.load(Map.of("SLUICE_ROUTES", file.toString(),
                "SLUICE_ROUTE_RESP_OPERATIONS", "POST /responses, GET /responses/{id}"),
                new Properties());
        assertEquals(2, overridden.route("resp").operations().size());
    }

    @Test
    void aRouteCanBeSwitchedOff() {
        Config config = Config.load(Map.of("SLUICE_ROUTE_ANTHROPIC_ENABLED", "false"),
                new Properties());
        assertEquals(List.of("openai"), config.routes().stream().map(Route::name).toList());
        assertTrue(config.route("openai").keys().isEmpty());
    }

    private static final String CHAIN = """
            route.openai.prefix = /v1
            route.openai.url = https://api.openai.com/v1
            route.openai.key-env = OPENAI_API_KEY
            route.openai.fallbacks = azure, local
            route.azure.exposed = false
            route.azure.url = https://example-resource.openai.azure.com/openai/v1
            route.azure.key-env = AZURE_OPENAI_API_KEY
            route.azure.key-header = api-key
            route.azure.model.gpt-4o = my-gpt-4o
            route.azure.model.gpt-4.1 = my-gpt-41
            route.local.exposed = false
            route.local.url = http://127.0.0.1:8000/v1
            """;

    private Config chained(String more) throws IOException {
        return Config.load(Map.of("SLUICE_ROUTES", routes(CHAIN + more).toString(),
                "OPENAI_API_KEY", "sk-a-1111,sk-b-2222", "AZURE_OPENAI_API_KEY", "az-3333"),
                new Properties());
    }

    @Test
    void aChainIsTheRouteThenItsFallbacksWithTheirOwnKeysAndModelNames() throws IOException {
        Config config = chained("");

        assertEquals(List.of("openai", "azure", "local"), config.chain(config.route("openai"))
                .stream().map(Route::name).toList());
        Serving azure = config.route("azure").serving();
        assertFalse(azure.exposed());
        assertEquals("api-key", azure.keyHeader());
        assertEquals("my-gpt-41", azure.model("gpt-4.1"));
        assertEquals("o3", azure.model("o3"));
        String described = config.describe().toString();
        assertTrue(described.contains("route azure (fallback only)"), described);
        assertTrue(described.contains("falls back to azure, local"), described);
        assertTrue(described.contains("2 keys ["), described);
        assertFalse(described.contains("sk-a-1111") || described.contains("az-3333"), described);
    }

    @Test
    void aChainThatLoopsMixesDialectsOrNamesNoRouteIsRefused() throws IOException {
        ConfigException loop = assertThrows(ConfigException.class,
                () -> chained("route.local.fallbacks = openai\n"));
        assertTrue(loop.getMessage().contains("makes a loop: local -> openai -> local"),
                loop::getMessage);
        ConfigException dialect = assertThrows(ConfigException.class,
                () -> chained("route.local.dialect = anthropic-messages\n"));
        assertTrue(dialect.getMessage().contains("every route of openai's chain must speak "
                + "openai-chat"), dialect::getMessage);
        ConfigException unknown = assertThrows(ConfigException.class,
                () -> chained("route.local.fallbacks = vllm\n"));
        assertTrue(unknown.getMessage().contains("names 'vllm', which is no enabled route"),
                unknown::getMessage);
        ConfigException header = assertThrows(ConfigException.class,
                () -> chained("route.local.key-header = api key\n"));
        assertTrue(header.getMessage().contains("key-header must be a header name"),
                header::getMessage);
    }

    @Test
    void maxConcurrentBoundsARoutesOpenAnswersAndMustBeAWholeNumber() throws IOException {
        Config config = chained("route.local.max-concurrent = 4\n");
        assertEquals(4, config.route("local").serving().maxConcurrent());
        assertEquals(0, config.route("openai").serving().maxConcurrent(), "no bound by default");
        assertTrue(config.describe().toString().contains("at most 4 open at once"));
        for (String bad : List.of("-1", "four", "2.5")) {
            ConfigException refused = assertThrows(ConfigException.class,
                    () -> chained("route.local.max-concurrent = " + bad + "\n"));
            assertTrue(refused.getMessage().contains("route.local.max-concurrent must be a whole "
                    + "number, 0 for no bound, got '" + bad + "'"), refused::getMessage);
        }
    }
}
