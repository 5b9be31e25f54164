package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Policy;
import dev.sluice.config.Route;
import dev.sluice.config.Secret;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestConfig;
import dev.sluice.web.PageHeaders;
import java.net.URI;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The headers of an answer that went wrong: what the upstream sent is passed on scrubbed, and
 * what a browser needs to read the error survives the error.
 */
class ErrorHeadersTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HEX = "3f9a0c5d7e21b84f6a0d9c3e5b7f1a2c4d6e8f01";
    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String ORIGIN = "https://app.example.com";

    @RegisterExtension
    final Relay relay = new Relay();

    @ParameterizedTest
    @ValueSource(strings = {
        // an error event before any other
        "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n",
        // an upstream that ends its stream without an event
        ": nothing to say\n\n"})
    void aRefusalInPlaceOfAStreamKeepsTheHeadersABrowserNeeds(String events) throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> exchange.startStream(
                "request-id", "req_42").write(events).end());
        URI chat = relay.start(TestConfig.relayingTo(upstream.baseUrl(),
                new Secret(RunningSluice.KEY)).corsOrigins(ORIGIN).build());

        ContentResponse response = relay.client().post(chat, STREAM, "Origin", ORIGIN);

        HttpFields headers = response.getHeaders();
        assertEquals(502, response.getStatus(), response.getContentAsString());
        assertTrue(response.getMediaType().startsWith("application/json"), headers::toString);
        assertNotNull(JSON.readTree(response.getContent()).path("error").get("message"));
        assertEquals(ORIGIN, headers.get("Access-Control-Allow-Origin"), headers::toString);
        assertTrue(headers.get("Access-Control-Expose-Headers").contains("X-Request-Id"));
        assertTrue(headers.get("X-Request-Id").matches("[0-9a-f]{16}"), headers::toString);
        assertEquals(PageHeaders.CONTENT_SECURITY_POLICY, headers.get("Content-Security-Policy"));
        assertEquals("nosniff", headers.get("X-Content-Type-Options"));
        assertEquals("no-referrer", headers.get("Referrer-Policy"));
        assertEquals("req_42", headers.get("request-id"));
        assertNull(headers.get("X-Accel-Buffering"), headers::toString);
    }

    @Test
    void upstreamHeadersPassedOnAreScrubbed() throws Exception {
        URI chat = start(exchange -> exchange.respond(429, "application/json",
                "{\"error\":{\"message\":\"slow down\"}}",
                "request-id", "req_" + HEX, "openai-version", RunningSluice.KEY,
                "x-request-id", "Bearer " + HEX, "openai-processing-ms", HEX,
                "Retry-After", "7"));

        ContentResponse response = relay.client().post(chat, STREAM);

        HttpFields headers = response.getHeaders();
        assertEquals(429, response.getStatus());
        assertFalse(headers.toString().contains(HEX), headers::toString);
        assertFalse(headers.toString().contains("Zq8xR2vL9mW4"), headers::toString);
        assertTrue(headers.get("request-id").startsWith("req_[redacted "), headers::toString);
        assertTrue(headers.get("openai-version").startsWith("[redacted "), headers::toString);
        assertTrue(headers.get("X-Upstream-Request-Id").startsWith("Bearer [redacted "));
        assertTrue(headers.get("openai-processing-ms").startsWith("[redacted "));
        assertEquals("7", headers.get("Retry-After"));
    }

    @Test
    void headersOfAStreamArePassedOnScrubbedToo() throws Exception {
        URI chat = start(exchange -> exchange.startStream("request-id", HEX,
                "x-request-id", "req_7").write("data: {\"n\":1}\n\ndata: [DONE]\n\n").end());

        ContentResponse response = relay.client().post(chat, STREAM);

        assertEquals(200, response.getStatus());
        assertTrue(response.getHeaders().get("request-id").startsWith("[redacted "));
        assertEquals("req_7", response.getHeaders().get("X-Upstream-Request-Id"));
    }

    @Test
    void theContentTypeOfAJsonAnswerIsScrubbedToo() throws Exception {
        URI chat = start(exchange -> exchange.respond(200, "application/json; charset=utf-8; "
                + "note=" + HEX, "{\"id\":\"c\"}"));

        ContentResponse response = relay.client().post(chat, "{\"model\":\"m\",\"messages\":[]}");

        assertEquals(200, response.getStatus());
        assertEquals("{\"id\":\"c\"}", response.getContentAsString());
        assertTrue(response.getMediaType().startsWith("application/json"), response::toString);
        String headers = response.getHeaders().toString();
        assertFalse(headers.contains(HEX), headers);
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "7 seconds", "-1", "1.5", "Bearer abc123",
        "3f9a0c5d7e21b84f6a0d9c3e5b7f1a2c4d6e8f01", "Sun, 06 Nov 1994 08:49:37"})
    void aRetryAfterThatIsNeitherSecondsNorAnHttpDateIsDropped(String value) throws Exception {
        URI chat = start(exchange -> exchange.respond(503, "application/json",
                "{\"error\":{\"message\":\"busy\"}}", "Retry-After", value));

        ContentResponse response = relay.client().post(chat, STREAM);

        assertEquals(503, response.getStatus());
        assertNull(response.getHeaders().get("Retry-After"), response.getHeaders()::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "120", "Sun, 06 Nov 1994 08:49:37 GMT"})
    void aRetryAfterOfSecondsOrAnHttpDateIsKept(String value) throws Exception {
        URI chat = start(exchange -> exchange.respond(503, "application/json",
                "{\"error\":{\"message\":\"busy\"}}", "Retry-After", value));

        ContentResponse response = relay.client().post(chat, STREAM);

        assertEquals(value, response.getHeaders().get("Retry-After"));
    }

    /** Sluice relaying to {@code script}, with {@link #HEX} the key of a second route. */
    private URI start(FakeUpstream.Script script) throws Exception {
        FakeUpstream upstream = relay.upstream(script);
        return relay.start(TestConfig.relayingTo(upstream.baseUrl(), new Secret(RunningSluice.KEY))
                .route(new Route("other", "/other", upstream.baseUrl(), "openai-chat",
                        new Secret(HEX), Policy.NONE))
                .build());
    }
}
