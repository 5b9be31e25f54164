package dev.sluice.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.config.Operation;
import dev.sluice.config.Policy;
import dev.sluice.config.Route;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every stream of the shared corpus played through Sluice over real sockets, in its original
 * writes, on a route of the plain {@code sse} dialect: a browser reading Sluice must see what it
 * would have seen reading the upstream. (Comments are not compared: Sluice holds back upstream
 * keep-alives until the first event, its own heartbeats cover that wait.)
 */
class RelayedVectorsTest {

    private static final int LARGE_LINES = 16 << 20;
    private static final Map<String, Vector> BY_NAME = new HashMap<>();
    private static FakeUpstream upstream;
    private static RunningSluice sluice;
    private static TestClient client;

    static Stream<Vector> vectors() {
        return Stream.of(WptVectorsTest.vectors(), OkHttpVectorsTest.vectors(),
                        LaunchDarklyVectorsTest.vectors(), EventsourceParserVectorsTest.vectors(),
                        OpenAiVectorsTest.vectors(), AnthropicVectorsTest.vectors(),
                        CustomGptVectorsTest.vectors(), AuthoredVectorsTest.vectors())
                .flatMap(List::stream);
    }

    @BeforeAll
    static void start() throws Exception {
        vectors().forEach(v -> BY_NAME.put(v.name(), v));
        upstream = new FakeUpstream(exchange -> {
            String path = exchange.request().path();
            Vector vector = BY_NAME.get(path.substring(path.lastIndexOf('/') + 1));
            exchange.startStream();
            for (byte[] chunk : vector.chunks()) {
                exchange.write(chunk);
            }
            exchange.end();
        });
        Route plain = new Route("plain", "/plain", upstream.baseUrl(), "sse", null, Policy.NONE,
                false, List.of(Operation.parse("POST /{vector}")));
        sluice = new RunningSluice(TestConfig.relayingTo(upstream.baseUrl(), null).route(plain)
                .maxLineBytes(LARGE_LINES).build());
        client = new TestClient();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        sluice.close();
        upstream.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void browserSeesThroughSluiceWhatItSeesFromTheUpstream(Vector vector) throws Exception {
        URI uri = sluice.uri("/plain/" + vector.name());
        byte[] received;
        try (TestClient.Stream stream = client.stream(uri, "{}")) {
            assertEquals(200, stream.response().getStatus());
            received = stream.restBytes();
        }
        BrowserView seen = BrowserView.of(Playback.items(new ByteArrayInputStream(received),
                LARGE_LINES));
        assertEquals(vector.events(), seen.events(), vector.name() + " events");
        assertEquals(vector.retry(), seen.retry(), vector.name() + " retry");
    }
}
