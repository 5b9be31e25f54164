package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start-up log's lines for routes: what each does, in words, never a record's dump. */
class DescribeTest {

    @TempDir
    Path dir;

    private Map<String, String> describe(String routes) throws IOException {
        Path file = dir.resolve("routes.properties");
        Files.writeString(file, routes);
        return Config.load(Map.of("SLUICE_ROUTES", file.toString(), "RAG_KEY", "k-secret-9"),
                new Properties()).describe();
    }

    @Test
    void theBuiltInAnthropicRouteNamesItsHeader() {
        Map<String, String> lines = Config.load(Map.of(), new Properties()).describe();

        assertEquals("anthropic-messages -> (simulated upstream), key (none); "
                + "relays POST /anthropic/v1/messages; header anthropic-version: 2023-06-01",
                lines.get("route anthropic /anthropic"));
        assertFalse(lines.toString().contains("Policy["), lines.toString());
    }

    @Test
    void everyPartOfAPolicyReadsAsWords() throws IOException {
        Map<String, String> lines = describe("""
                route.rag.prefix = /rag
                route.rag.url = http://127.0.0.1:9/api
                route.rag.key-env = RAG_KEY
                route.rag.models = b, a
                route.rag.max-tokens = 500
                route.rag.force.project = 42
                route.rag.force.temperature = 0
                route.rag.default.lang = "nl"
                route.rag.query.stream = true
                route.rag.header.X-Tenant = acme
                route.rag.on-client-close = drain
                """);

        assertEquals("openai-chat -> http://127.0.0.1:9/api, key "
                + new Secret("k-secret-9").fingerprint() + "; relays POST /rag/chat/completions; "
                + "models a, b; max tokens 500; "
                + "forces project=42, temperature=0; defaults lang=\"nl\"; query stream=true; "
                + "header X-Tenant: acme; drains the upstream when its client leaves",
                lines.get("route rag /rag"));
    }

    @Test
    void aHeaderNamedLikeACredentialShowsItsNameOnly() throws IOException {
        for (String name : new String[] {"x-goog-api-key", "X-Auth-Token", "Client-Secret",
                "X-Signature"}) {
            Map<String, String> lines = describe("route.r.prefix = /r\n"
                    + "route.r.url = http://127.0.0.1:9\n"
                    + "route.r.header." + name + " = v-0123456789\n");

            assertEquals("openai-chat -> http://127.0.0.1:9, key (none); relays POST "
                    + "/r/chat/completions; header " + name
                    + ": (hidden)", lines.get("route r /r"));
        }
    }
}
