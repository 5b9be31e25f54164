package dev.sluice.relay;

import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Operation;
import dev.sluice.config.Policy;
import dev.sluice.config.Route;
import dev.sluice.config.Secret;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestConfig;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A route relays only the operations it names, by default its dialect's streaming endpoint:
 * every other method and path, however it is spelt on the wire, is refused in the route's error
 * shape before anything reaches the upstream with the key.
 */
class AllowedOperationsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "slc_web-user-limited-to-one-model-0123456789";
    private static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"messages\":[]}";

    @RegisterExtension
    final Relay relay = new Relay();

    /** Answers every request with a small JSON body that names the path it was sent. */
    private FakeUpstream upstream() throws Exception {
        return relay.upstream(exchange -> exchange.respond(200, "application/json",
                "{\"path\":\"" + exchange.request().path() + "\"}"));
    }

    private void start(FakeUpstream upstream, Route... routes) throws Exception {
        Client web = new Client("web", Set.of(), Set.of("gpt-4o-mini"), 0, 0, 0);
        TestConfig config = TestConfig.relayingTo(upstream.baseUrl(),
                new Secret(RunningSluice.KEY)).access(new Access(Map.of(sha256(TOKEN), web),
                        null, null, Set.of()));
        for (Route route : routes) {
            config.route(route);
        }
        relay.start(config.build());
    }

    @Test
    void theDefaultRouteRelaysOnlyChatCompletionsWhateverTheMethodPathOrModel() throws Exception {
        FakeUpstream upstream = upstream();
        start(upstream);
        String allowed = "route openai relays only POST /v1/chat/completions";
        for (String[] attack : new String[][] {
            {"GET", "/v1/files"},
            {"GET", "/v1/files/file-abc123/content"},
            {"GET", "/v1/chat/completions/chatcmpl-123"},
            {"GET", "/v1/chat/completions/chatcmpl-123/messages"},
            {"GET", "/v1/responses/resp_123"},
            {"GET", "/v1/organization/users"},
            {"GET", "/v1/organization/admin_api_keys"},
            {"GET", "/v1/models"},
            {"POST", "/v1/fine_tuning/jobs"},
            {"POST", "/v1/files"},
            {"POST", "/v1/embeddings"},
            {"POST", "/v1/responses"},
            {"POST", "/v1/chat/completions/chatcmpl-123"},
        }) {
            Answer answer = send(attack[0], attack[1], CHAT);
            assertEquals(404, answer.status(), attack[0] + " " + attack[1]);
            assertEquals(attack[0] + " " + attack[1] + " is not relayed; " + allowed,
                    answer.error().path("message").asText());
            assertEquals("not_found_error", answer.error().path("type").asText());
        }
        for (String method : List.of("GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")) {
            Answer answer = send(method, "/v1/chat/completions", CHAT);
            assertEquals(405, answer.status(), method);
            assertEquals("POST", answer.header("Allow"), method);
            if (!method.equals("HEAD")) {
                assertEquals(method + " is not allowed on /v1/chat/completions; " + allowed,
                        answer.error().path("message").asText());
            }
        }
        assertEquals(200, send("POST", "/v1/chat/completions", CHAT).status());
        assertEquals("POST /v1/chat/completions", seen(upstream.takeRequest()),
                "the only request that reached the upstream is the allowed one");
    }

    @Test
    void pathTricksCannotStretchAnOperation() throws Exception {
        FakeUpstream upstream = upstream();
        start(upstream, new Route("wide", "/wide", upstream.baseUrl(), "openai-chat",
                new Secret(RunningSluice.KEY), Policy.NONE, false, List.of(
                        Operation.parse("POST /chat/completions"),
                        Operation.parse("GET /responses/{id}"))));
        for (String path : List.of("/v1/chat/completions/", "/v1//chat/completions",
                "/v1/chat//completions", "/v1/Chat/Completions", "/v1/CHAT/COMPLETIONS",
                "/v1/chat%2Fcompletions", "/v1/chat%2fcompletions", "/v1/chat/%63ompletions",
                "/v1/%63hat/completions", "/v1/chat/completions;x=1", "/v1/chat;x=1/completions",
                "/v1/chat/completions%3Bx=1", "/v1/./chat/completions", "/v1/chat/./completions",
                "/v1/files/../chat/completions", "/v1/files/%2e%2e/chat/completions",
                "/v1/files%2F..%2Fchat/completions", "/v1/chat/completions/.",
                "/v1/chat/completions/..", "/v1/chat/completions%00", "/v1/chat/completions%20",
                "/v1/chat/completions%2F", "/v1/chat/completions\\", "/v1/chat/completions.",
                "/v1/chat/completions~", "/v1/chat/completions/x", "/v1/chat\\completions",
                "/wide/responses", "/wide/responses/", "/wide/responses/a/b",
                "/wide/responses/..", "/wide/responses/.", "/wide/responses/%2e%2e",
                "/wide/responses/a%2Fb", "/wide/responses/a;b", "/wide/responses/a/",
                "/wide/responses//a", "/wide/Responses/a", "/wide/responses/a%20b",
                "/wide/responses/../chat/completions", "/wide/files/x")) {
            for (String method : List.of("GET", "POST")) {
                int status = send(method, path, CHAT).status();
                assertTrue(status == 400 || status == 404 || status == 405,
                        method + " " + path + " gave " + status);
            }
        }
        assertEquals(200, send("POST", "/v1/chat/completions", CHAT).status());
        assertEquals("POST /v1/chat/completions", seen(upstream.takeRequest()),
                "no trick reached the upstream");
    }

    @Test
    void anEncodedPrefixCannotShiftThePathThatIsMatchedAndSent() throws Exception {
        FakeUpstream upstream = upstream();
        start(upstream, new Route("azure", "/az/d", upstream.baseUrl(), "openai-chat",
                new Secret(RunningSluice.KEY), Policy.NONE, false,
                List.of(Operation.parse("POST /{deployment}/chat/completions"))));
        // The container routes /az/d + /chat/completions (not an operation); read past the
        // prefix's length, the raw path would be /d/chat/completions, which is one.
        for (String path : List.of("/%61z/d/chat/completions", "/a%7A/d/chat/completions",
                "/az/%64/chat/completions", "/%61%7a/d/x/chat/completions")) {
            Answer answer = send("POST", path, CHAT);
            assertEquals(400, answer.status(), path);
            assertTrue(answer.error().path("message").asText().endsWith(
                    "write /az/d without percent-encoding"), answer.body());
        }
        assertEquals(200, send("POST", "/az/d/gpt-4o/chat/completions", CHAT).status());
        assertEquals("POST /v1/gpt-4o/chat/completions", seen(upstream.takeRequest()),
                "only the plainly written request reached the upstream");
    }

    @Test
    void anOperatorWidensARouteByNamingOperations() throws Exception {
        FakeUpstream upstream = upstream();
        start(upstream, new Route("wide", "/wide", upstream.baseUrl(), "openai-chat",
                new Secret(RunningSluice.KEY), Policy.NONE, false, List.of(
                        Operation.parse("POST /chat/completions"), Operation.parse("GET /models"),
                        Operation.parse("GET /responses/{id}"),
                        Operation.parse("POST /responses/*/cancel"))));
        Answer models = send("GET", "/wide/models", null);
        assertEquals(200, models.status());
        assertEquals("/v1/models", models.json().path("path").asText());
        assertEquals("GET /v1/models", seen(upstream.takeRequest()));
        assertEquals(200, send("GET", "/wide/responses/resp_7?include=usage", null).status());
        assertEquals("GET /v1/responses/resp_7?include=usage", seen(upstream.takeRequest()));
        assertEquals(200, send("POST", "/wide/responses/resp_7/cancel", CHAT).status());
        assertEquals("POST /v1/responses/resp_7/cancel", seen(upstream.takeRequest()));

        Answer post = send("POST", "/wide/models", "{}");
        assertEquals(405, post.status());
        assertEquals("GET", post.header("Allow"));
        String allowed = "route wide relays only POST /wide/chat/completions, GET /wide/models, "
                + "GET /wide/responses/{id}, POST /wide/responses/*/cancel";
        assertEquals("POST is not allowed on /wide/models; " + allowed,
                post.error().path("message").asText());
        Answer deeper = send("GET", "/wide/responses/resp_7/input_items", null);
        assertEquals(404, deeper.status());
        assertEquals("GET /wide/responses/resp_7/input_items is not relayed; " + allowed,
                deeper.error().path("message").asText());
        assertEquals(404, send("GET", "/v1/models", null).status(), "the default route is narrow");

        assertEquals(200, send("POST", "/wide/chat/completions", CHAT).status());
        assertEquals("POST /v1/chat/completions", seen(upstream.takeRequest()));
    }

    @Test
    void eachDialectRefusesInItsOwnShapeAndRelaysItsStreamingEndpoint() throws Exception {
        FakeUpstream upstream = upstream();
        start(upstream,
                new Route("anthropic", "/anthropic", upstream.baseUrl(), "anthropic-messages",
                        new Secret(RunningSluice.KEY), Policy.NONE),
                new Route("responses", "/responses-api", upstream.baseUrl(), "openai-responses",
                        new Secret(RunningSluice.KEY), Policy.NONE),
                new Route("customgpt", "/customgpt", upstream.baseUrl(), "customgpt",
                        new Secret(RunningSluice.KEY), Policy.NONE));

        Answer models = send("GET", "/anthropic/v1/models", null);
        assertEquals(404, models.status());
        assertEquals("error", models.json().path("type").asText());
        assertEquals("not_found_error", models.error().path("type").asText());
        assertEquals("GET /anthropic/v1/models is not relayed; route anthropic relays only "
                + "POST /anthropic/v1/messages", models.error().path("message").asText());
        assertEquals(404, send("POST", "/anthropic/v1/messages/batches", "{}").status());
        assertEquals(404, send("GET", "/responses-api/responses/resp_1", null).status());
        Answer project = send("GET", "/customgpt/conversations", null);
        assertEquals(404, project.status());
        assertEquals("error", project.json().path("status").asText());
        assertEquals(404, project.json().path("data").path("code").asInt());
        assertEquals("GET /customgpt/conversations is not relayed; route customgpt relays only "
                + "POST /customgpt/conversations/{session}/messages",
                project.json().path("data").path("message").asText());

        assertEquals(200, send("POST", "/anthropic/v1/messages", CHAT).status());
        assertEquals("POST /v1/v1/messages", seen(upstream.takeRequest()));
        assertEquals(200, send("POST", "/responses-api/responses", CHAT).status());
        assertEquals("POST /v1/responses", seen(upstream.takeRequest()));
        assertEquals(200, send("POST", "/customgpt/conversations/s-9/messages", CHAT).status());
        assertEquals("POST /v1/conversations/s-9/messages", seen(upstream.takeRequest()));
    }

    @Test
    void aStrangerLearnsNothingOfTheRoutesOperations() throws Exception {
        start(upstream());
        Answer answer = send("GET", "/v1/files", null, "Authorization", "Bearer slc_guessed");
        assertEquals(401, answer.status());
        assertFalse(answer.body().contains("chat/completions"), answer.body());
    }

    // Helpers

    private record Answer(int status, String head, String body) {
        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).strip();
                }
            }
            return null;
        }

        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }

        JsonNode error() throws Exception {
            return json().path("error");
        }
    }

    /** Sends the request line as written, over a raw socket: an HTTP client would tidy it. */
    private Answer send(String method, String path, String body, String... headers)
            throws Exception {
        URI base = URI.create(relay.sluiceUrl());
        StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: x\r\n"
                + "Connection: close\r\n");
        if (headers.length == 0) {
            request.append("Authorization: Bearer ").append(TOKEN).append("\r\n");
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        if (body != null) {
            request.append("Content-Type: application/json\r\nContent-Length: ")
                    .append(content.length).append("\r\n");
        }
        request.append("\r\n");
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(content);
            out.flush();
            InputStream in = socket.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertFalse(answer.contains(RunningSluice.KEY), "the key leaked");
            int split = answer.indexOf("\r\n\r\n");
            String head = split < 0 ? answer : answer.substring(0, split);
            return new Answer(Integer.parseInt(answer.substring(9, 12)), head,
                    split < 0 ? "" : answer.substring(split + 4));
        }
    }

    private static String seen(FakeUpstream.Request request) {
        return request.method() + " " + request.path();
    }
}
