package dev.sluice.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import java.util.List;
import java.util.Map;
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
