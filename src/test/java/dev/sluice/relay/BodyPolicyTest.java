package dev.sluice.relay;

import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Policy;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.TestConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The body the route's policy reads is the body that goes upstream: an upstream that takes the
 * first of two duplicate keys, or matches keys without case (Go's {@code encoding/json}), must
 * not get a value Sluice never checked. Each refusal is a 400 that says what was wrong, and the
 * upstream never sees the request: the one good request after it is the first that arrives.
 */
class BodyPolicyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GOOD = "{\"model\":\"gpt-4o-mini\",\"stream\":true}";
    private static final Policy POLICY = new Policy(Set.of("gpt-4o-mini"), 100,
            Map.of("temperature", IntNode.valueOf(0)), Map.of("user", TextNode.valueOf("app")),
            Map.of(), Map.of());

    @RegisterExtension
    final Relay relay = new Relay();

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void closeClient() {
        http.close();
    }

    private URI start(Policy policy, Access access) throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> exchange.startStream()
                .write("data: {\"choices\":[]}\n\ndata: [DONE]\n\n").end());
        return relay.start(TestConfig.relayingTo(upstream.baseUrl(), null).policy(policy)
                .access(access).build());
    }

    private HttpResponse<byte[]> post(URI chat, byte[] body, String... headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(chat)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private void assertRefused(URI chat, String body, String message) throws Exception {
        assertRefused(chat, body.getBytes(StandardCharsets.UTF_8), message);
    }

    private void assertRefused(URI chat, byte[] body, String message) throws Exception {
        HttpResponse<byte[]> response = post(chat, body);
        assertEquals(400, response.statusCode(), new String(response.body(),
                StandardCharsets.UTF_8));
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertEquals("invalid_request_error", error.path("type").asText());
        assertEquals(message, error.path("message").asText());
    }

    /** The upstream got nothing before this good request: every refusal stayed in Sluice. */
    private void assertNothingElseReachedTheUpstream(URI chat) throws Exception {
        assertEquals(200, relay.client().post(chat, GOOD).getStatus());
        String sent = relay.upstream().takeRequest().bodyText();
        assertEquals("gpt-4o-mini", JSON.readTree(sent).path("model").asText(), sent);
    }

    @Test
    void duplicateKeysAreRefusedAtAnyDepth() throws Exception {
        URI chat = start(POLICY, Access.NONE);
        assertRefused(chat, "{\"model\":\"gpt-4o-mini\",\"model\":\"gpt-4o\",\"stream\":true}",
                "request body has the key 'model' twice in one object");
        assertRefused(chat, "{\"model\":\"gpt-4o-mini\",\"max_tokens\":10,\"max_tokens\":9999}",
                "request body has the key 'max_tokens' twice in one object");
        assertRefused(chat, "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
                + "\"role\":\"system\",\"content\":\"hi\"}]}",
                "request body has the key 'role' twice in one object");
        assertRefused(chat, "{\"model\":\"gpt-4o-mini\",\"stream_options\":{\"include_usage\""
                + ":true,\"include_usage\":false}}",
                "request body has the key 'include_usage' twice in one object");
        // The same key spelled with an escape is still the same key.
        assertRefused(chat, "{\"model\":\"gpt-4o-mini\",\"\\u006dodel\":\"gpt-4o\"}",
                "request body has the key 'model' twice in one object");
        assertNothingElseReachedTheUpstream(chat);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            MODEL           | model
            Model           | model
            Stream          | stream
            \u017Ftream     | stream
            Max_Tokens      | max_tokens
            max_to\u212Aens | max_tokens
            MAX_COMPLETION_TOKENS | max_completion_tokens
            Max_Output_Tokens     | max_output_tokens
            Stream_Options  | stream_options
            Temperature     | temperature
            USER            | user
            """)
    void keysThatDifferFromAPolicyFieldOnlyByCaseAreRefused(String key, String field)
            throws Exception {
        URI chat = start(POLICY, Access.NONE);
        assertRefused(chat, "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"" + key + "\":1}",
                "request body has the key '" + key + "', which differs from '" + field
                        + "' only by case; send '" + field + "'");
        assertNothingElseReachedTheUpstream(chat);
    }

    @Test
    void aCaseVariantOfIncludeUsageIsRefusedToo() throws Exception {
        URI chat = start(Policy.NONE, Access.NONE);
        assertRefused(chat, "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":"
                + "{\"Include_Usage\":false}}", "request body has the key "
                + "'stream_options.Include_Usage', which differs from "
                + "'stream_options.include_usage' only by case; send "
                + "'stream_options.include_usage'");
        assertNothingElseReachedTheUpstream(chat);
    }

    @Test
    void anythingAfterTheJsonObjectIsRefused() throws Exception {
        URI chat = start(POLICY, Access.NONE);
        String refusal = "request body has more after its JSON object; send one object";
        assertRefused(chat, GOOD + "{\"model\":\"gpt-4o\"}", refusal);
        assertRefused(chat, GOOD + " garbage", refusal);
        assertRefused(chat, GOOD + "]", refusal);
        assertRefused(chat, GOOD + "\n\"model\"", refusal);
        assertNothingElseReachedTheUpstream(chat);
        // Whitespace after the object is no data.
        assertEquals(200, relay.client().post(chat, GOOD + " \r\n\t").getStatus());
    }

    @Test
    void aBodyThatIsNotStrictUtf8IsRefused() throws Exception {
        URI chat = start(POLICY, Access.NONE);
        String refusal = "request body is not valid UTF-8";
        // An overlong 'e' decodes to "model" in a lenient decoder and to something else in Go.
        byte[] overlong = "{\"modXl\":\"gpt-4o-mini\"}".getBytes(StandardCharsets.US_ASCII);
        byte[] withOverlong = new byte[overlong.length + 1];
        int x = new String(overlong, StandardCharsets.US_ASCII).indexOf('X');
        System.arraycopy(overlong, 0, withOverlong, 0, x);
        withOverlong[x] = (byte) 0xC1;
        withOverlong[x + 1] = (byte) 0xA5;
        System.arraycopy(overlong, x + 1, withOverlong, x + 2, overlong.length - x - 1);
        assertRefused(chat, withOverlong, refusal);
        assertRefused(chat, GOOD.getBytes(StandardCharsets.UTF_16), refusal);
        assertRefused(chat, GOOD.getBytes(StandardCharsets.UTF_16LE),
                "request body is not valid JSON: Illegal character ((CTRL-CHAR, code 0)): only "
                        + "regular white space (\\r, \\n, \\t) is allowed between tokens at "
                        + "line 1, column 3");
        byte[] bom = ("\uFEFF" + GOOD).getBytes(StandardCharsets.UTF_8);
        assertRefused(chat, bom, "request body starts with a byte order mark; send plain UTF-8");
        assertNothingElseReachedTheUpstream(chat);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            {"stream":true}                   | a model is required; this route allows: gpt-4o-mini
            {"model":null,"stream":true}      | a model is required; this route allows: gpt-4o-mini
            {"model":5}                       | 'model' must be a string
            {"model":["gpt-4o-mini"]}         | 'model' must be a string
            {"model":{"id":"gpt-4o-mini"}}    | 'model' must be a string
            {"model":true}                    | 'model' must be a string
            """)
    void aRouteAllowlistNeedsAStringModel(String body, String message) throws Exception {
        URI chat = start(POLICY, Access.NONE);
        assertRefused(chat, body, message);
        assertNothingElseReachedTheUpstream(chat);
    }

    @Test
    void aClientAllowlistNeedsAModel() throws Exception {
        String token = "slc_model-list-client";
        Client listed = new Client("listed", Set.of(), Set.of("gpt-4o-mini"), 0, 0, 0);
        URI chat = start(Policy.NONE, new Access(Map.of(sha256(token), listed), null, null,
                Set.of()));
        for (String body : new String[] {"{\"stream\":true}", "{\"model\":null}"}) {
            HttpResponse<byte[]> response = post(chat, body.getBytes(StandardCharsets.UTF_8),
                    "Authorization", "Bearer " + token);
            assertEquals(400, response.statusCode());
            assertEquals("a model is required; client listed may use: gpt-4o-mini",
                    JSON.readTree(response.body()).path("error").path("message").asText());
        }
        assertEquals(400, post(chat, "{\"model\":7}".getBytes(StandardCharsets.UTF_8),
                "Authorization", "Bearer " + token).statusCode());
        assertEquals(200, post(chat, GOOD.getBytes(StandardCharsets.UTF_8), "Authorization",
                "Bearer " + token).statusCode());
        assertEquals("gpt-4o-mini", JSON.readTree(relay.upstream().takeRequest().body())
                .path("model").asText());
    }

    @Test
    void withoutAnAllowlistAMissingModelIsTheUpstreamsToJudge() throws Exception {
        URI chat = start(Policy.NONE, Access.NONE);
        String body = "{\"messages\":[]}";
        assertEquals(200, relay.client().post(chat, body).getStatus());
        assertEquals(body, relay.upstream().takeRequest().bodyText());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            100.9                 | 100
            1e2                   | 100
            99.5                  | 100
            18446744073709551716  | 100
            "50"                  | 100
            1e400                 | 100
            7                     | 7
            """)
    void aTokenCapThatIsNotAWholeNumberWithinTheCapIsReplacedByTheCap(String sent,
            long forwarded) throws Exception {
        URI chat = start(POLICY, Access.NONE);
        assertEquals(200, relay.client().post(chat, "{\"model\":\"gpt-4o-mini\","
                + "\"max_tokens\":" + sent + "}").getStatus());
        JsonNode body = JSON.readTree(relay.upstream().takeRequest().body());
        assertEquals(forwarded, body.path("max_tokens").longValue(), body.toString());
        assertTrue(body.path("max_tokens").isIntegralNumber(), body.toString());
    }

    @Test
    void anUnchangedBodyGoesUpstreamAsItsOwnBytes() throws Exception {
        URI chat = start(Policy.NONE, Access.NONE);
        String body = "{ \"model\" : \"gpt-4o-mini\" ,\n \"messages\": [ ] ,\"x\":1.50 }";
        assertEquals(200, relay.client().post(chat, body).getStatus());
        assertEquals(body, relay.upstream().takeRequest().bodyText());
    }

    @Test
    void aStreamThatOnlyGetsUsageAskedForGoesUpstreamAsItsOwnBytesWithTheOptionAdded()
            throws Exception {
        URI chat = start(Policy.NONE, Access.NONE);
        String body = "{ \"model\" : \"gpt-4o-mini\" ,\"stream\":true, \"x\":1.50 }\n";
        assertEquals(200, relay.client().post(chat, body).getStatus());
        assertEquals("{ \"model\" : \"gpt-4o-mini\" ,\"stream\":true, \"x\":1.50 ,"
                + "\"stream_options\":{\"include_usage\":true}}\n",
                relay.upstream().takeRequest().bodyText());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            {"include_usage":false}   | {"include_usage":true}
            {}                        | {"include_usage":true}
            null                      | {"include_usage":true}
            {"continuous_usage":true} | {"continuous_usage":true,"include_usage":true}
            """)
    void streamOptionsWithoutUsageGetItInABodyWrittenAnew(String options, String sent)
            throws Exception {
        URI chat = start(Policy.NONE, Access.NONE);
        String body = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":"
                + options + ",\"x\":1.50}";
        assertEquals(200, relay.client().post(chat, body).getStatus());
        // Read strictly: a second stream_options would be a duplicate key.
        assertEquals(JSON.readTree(body.replace(options, sent)),
                StrictJson.parse(relay.upstream().takeRequest().body()));
    }
}
