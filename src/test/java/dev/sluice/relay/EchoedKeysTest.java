package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.Policy;
import dev.sluice.config.Route;
import dev.sluice.config.Secret;
import dev.sluice.config.Serving;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An upstream that echoes a configured key outside an error event, in every place an event
 * stream has for text: no client reads it, of a plain stream, a resumable one or its replay,
 * whichever route's pool the key is in.
 */
class EchoedKeysTest {

    private static final String CHAT = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String POOL_FIRST = "sk-pool-first-Hq5wE8rT2yU4iO6pA1";
    /** The second key of the route's pool of two: echoed though no request was sent with it. */
    private static final String POOL_SECOND = "sk-pool-second-Mn3bV7cX9zL1kJ5g";
    /** The key of the route the first one falls back to, which looks like no key at all. */
    private static final String FALLBACK = "7c1e9a44d02b6f35e8a1c07d9b3f5e2a";
    private static final String FIRST = delta("hi");
    private static final String DONE = "data: [DONE]\n\n";
    /** Longer than the events held whole here, so that it passes in pieces. */
    private static final int HELD = 1024;
    private static final String FILLER = "x".repeat(3 * HELD) + " ";

    @RegisterExtension
    final Relay relay = new Relay();

    /** Where in a stream the upstream puts the key. */
    enum Carrier {
        CONTENT_DELTA, COMMENT, EVENT_FIELD, RETRY_FIELD, ID_FIELD, NON_STANDARD_ERROR,
        ERROR_SPLIT_ACROSS_DATA_LINES, STRADDLING_TWO_PIECES
    }

    /** How the client reads the stream. */
    enum Delivery { PLAIN, RESUMABLE, REPLAYED }

    /**
     * What the upstream writes after its first event, in one or two parts; the second waits
     * until the client has read the first as far as it goes out.
     */
    private static List<String> echo(Carrier carrier, String key) {
        int half = key.length() / 2;
        return switch (carrier) {
            case CONTENT_DELTA -> List.of(delta("your key is " + key));
            case COMMENT -> List.of(": upstream saw " + key + "\n" + delta("."));
            case EVENT_FIELD -> List.of("event: " + key + "\n" + delta("."));
            case RETRY_FIELD -> List.of("retry: " + key + "\n" + delta("."));
            case ID_FIELD -> List.of("id: " + key + "\n" + delta("."));
            // FastAPI's shape, which an OpenAI-compatible server may send: no "error" in it.
            case NON_STANDARD_ERROR -> List.of("data: {\"detail\":\"the upstream rejected "
                    + key + "\"}\n\n");
            case ERROR_SPLIT_ACROSS_DATA_LINES -> List.of("data: {\"error\":{\"message\":\"bad "
                    + "key " + key.substring(0, half) + "\ndata: " + key.substring(half)
                    + "\",\"type\":\"server_error\"}}\n\n");
            case STRADDLING_TWO_PIECES -> List.of(
                    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + FILLER
                            + key.substring(0, 10),
                    key.substring(10) + "\"}}]}\n\n");
        };
    }

    private static String delta(String content) {
        return "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content
                + "\"}}]}\n\n";
    }

    /**
     * Every carrier, delivery and key, but those that cannot carry a key today: comments are
     * not logged, so a replay has none, and a resumable stream's ids are Sluice's own.
     */
    static Stream<Arguments> echoes() {
        List<Arguments> all = new ArrayList<>();
        for (Carrier carrier : Carrier.values()) {
            for (Delivery delivery : Delivery.values()) {
                if ((carrier == Carrier.COMMENT && delivery == Delivery.REPLAYED)
                        || (carrier == Carrier.ID_FIELD && delivery != Delivery.PLAIN)) {
                    continue;
                }
                for (String key : List.of(POOL_SECOND, FALLBACK)) {
                    all.add(Arguments.of(carrier, delivery, key));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("echoes")
    void anEchoedKeyReachesNoClient(Carrier carrier, Delivery delivery, String key)
            throws Exception {
        List<String> parts = echo(carrier, key);
        CountDownLatch read = new CountDownLatch(1);
        FakeUpstream upstream = relay.upstream(exchange -> {
            exchange.startStream().write(FIRST + parts.getFirst());
            if (parts.size() > 1) {
                assertTrue(read.await(10, TimeUnit.SECONDS), "the client read the first part");
                exchange.write(parts.get(1));
            }
            exchange.write(DONE).end();
        });
        URI chat = start(upstream);

        String body;
        String[] resumable = delivery == Delivery.PLAIN ? new String[0]
                : new String[] {"X-Sluice-Resumable", "true"};
        String id;
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT, resumable)) {
            assertEquals(200, stream.response().getStatus());
            id = stream.response().getHeaders().get("X-Sluice-Stream-Id");
            String before = "";
            if (parts.size() > 1) {
                before = stream.rawUntil(FILLER);
                read.countDown();
            }
            body = before + new String(stream.restBytes(), StandardCharsets.UTF_8);
        }
        if (delivery == Delivery.REPLAYED) {
            assertNotNull(id, "a resumable stream names its id");
            try (TestClient.Stream replay = relay.client().streamGet(
                    URI.create(relay.sluiceUrl() + "/v1/streams/" + id))) {
                assertEquals(200, replay.response().getStatus());
                body = new String(replay.restBytes(), StandardCharsets.UTF_8);
            }
        }

        assertNoKey(body, key);
        assertTrue(body.contains(mark(key)), body);
        assertTrue(body.contains(FIRST.strip()) && body.contains(DONE.strip()), body);
    }

    @ParameterizedTest
    @ValueSource(strings = {POOL_SECOND, FALLBACK})
    void plainTextHasNoKeyEvenWrittenWithJsonEscapes(String key) throws Exception {
        // Its second character escaped: the first one's hex digits could end in a key's start.
        String escaped = key.charAt(0) + "\\u00" + Integer.toHexString(key.charAt(1))
                + key.substring(2);
        FakeUpstream upstream = relay.upstream(exchange -> exchange.startStream().write(FIRST
                + delta("one " + key) + delta(" two " + escaped) + DONE).end());
        URI chat = start(upstream);

        ContentResponse response = relay.client().post(chat, CHAT, "Accept", "text/plain");

        String text = response.getContentAsString();
        assertEquals(200, response.getStatus(), text);
        assertEquals("hione " + mark(key) + " two " + mark(key) + "\n", text);
    }

    @Test
    void aWholeAnswerHasNoKey() throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> exchange.respond(200,
                "application/json", "{\"choices\":[{\"message\":{\"content\":\"keys: "
                        + POOL_SECOND + ", " + FALLBACK + "\"}}]}"));
        URI chat = start(upstream);

        ContentResponse response = relay.client().post(chat,
                "{\"model\":\"m\",\"messages\":[]}");

        String body = response.getContentAsString();
        assertEquals(200, response.getStatus(), body);
        assertNoKey(body, POOL_SECOND);
        assertNoKey(body, FALLBACK);
        assertEquals("{\"choices\":[{\"message\":{\"content\":\"keys: " + mark(POOL_SECOND)
                + ", " + mark(FALLBACK) + "\"}}]}", body);
    }

    /**
     * Sluice with a pool of two keys at {@code /v1}, falling back to a route of its own key
     * that clients cannot call, holding events of up to {@link #HELD} bytes whole.
     */
    private URI start(FakeUpstream upstream) throws Exception {
        Route fallback = new Route("backup", "/backup", upstream.baseUrl(), "openai-chat",
                new Secret(FALLBACK), Policy.NONE).serving(new Serving(null, Map.of(),
                        List.of(), false));
        return relay.start(TestConfig.relayingTo(upstream.baseUrl(), null)
                .keys(new Secret(POOL_FIRST), new Secret(POOL_SECOND))
                .serving(new Serving(null, Map.of(), List.of("backup"), true))
                .route(fallback).maxLineBytes(HELD).build());
    }

    /** The key, or a part of it that a split left, is nowhere in {@code body}. */
    private static void assertNoKey(String body, String key) {
        assertFalse(body.contains(key), body);
        assertFalse(body.contains(key.substring(0, 12)), body);
        assertFalse(body.contains(key.substring(key.length() - 12)), body);
    }

    /** What stands in for a key everywhere Sluice writes. */
    private static String mark(String key) {
        return "[redacted " + new Secret(key).fingerprint().substring("sha256:".length()) + "]";
    }
}
