package dev.sluice.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.sse.SseEvent;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The WAR on a standalone Jetty 12 distribution, configured through the environment: as shipped
 * (platform worker threads), and with Jetty's virtual thread pool module.
 */
@Tag("integration")
class JettyTest {

    @Test
    void eventsArriveOneByOneOnStockJetty() throws Exception {
        streamsOneByOne("jetty", List.of("ee10-deploy", "http"));
    }

    @Test
    void eventsArriveOneByOneOnJettysVirtualThreads() throws Exception {
        streamsOneByOne("jetty-virtual", List.of("ee10-deploy", "http", "threadpool-virtual"));
    }

    @Test
    void theUrlOfAStartedStreamIsItsPathUnderTheContextPath() throws Exception {
        try (FakeUpstream upstream = new FakeUpstream(exchange -> exchange.startStream()
                        .write("data: {\"n\":1}\n\ndata: [DONE]\n\n").end());
                Jetty jetty = Jetty.start("jetty-streams", List.of("ee10-deploy", "http"), Map.of(
                        "OPENAI_BASE_URL", upstream.baseUrl().toString(),
                        "OPENAI_API_KEY", RunningSluice.KEY));
                TestClient client = new TestClient()) {
            ContentResponse started = client.post(jetty.uri("v1/streams"), OneByOne.CHAT);
            assertEquals(201, started.getStatus(), started.getContentAsString());
            JsonNode body = new ObjectMapper().readTree(started.getContentAsString());
            String id = body.path("id").asText();
            String url = body.path("url").asText();
            assertTrue(url.startsWith("/sluice/v1/streams/" + id + "?token="), url);
            try (TestClient.Stream stream = client.streamGet(jetty.uri(url))) {
                assertEquals(new SseEvent(null, "[DONE]", id + ":2", null),
                        stream.rest().getLast());
            }
            assertNull(upstream.scriptFailure(), "the fake upstream's script failed");
        }
    }

    private static void streamsOneByOne(String name, List<String> modules) throws Exception {
        OneByOne proof = new OneByOne();
        try (FakeUpstream upstream = new FakeUpstream(proof::answer);
                Jetty jetty = Jetty.start(name, modules, Map.of(
                        "OPENAI_BASE_URL", upstream.baseUrl().toString(),
                        "OPENAI_API_KEY", RunningSluice.KEY));
                TestClient client = new TestClient()) {
            proof.check(client, jetty.uri("v1/chat/completions"));
            assertEquals("Bearer " + RunningSluice.KEY,
                    proof.request().headers().get("authorization"));
            assertEquals(200, client.get(jetty.uri("")).getStatus(), "the demo page");
            assertNull(upstream.scriptFailure(), "the fake upstream's script failed");
        }
    }
}
