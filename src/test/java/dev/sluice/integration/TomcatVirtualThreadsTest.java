package dev.sluice.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The WAR on Debian's Tomcat 10.1 with its connector on virtual threads
 * ({@code useVirtualThreads="true"}), configured through the environment alone.
 */
@Tag("integration")
class TomcatVirtualThreadsTest {

    private static final AtomicReference<FakeUpstream.Script> script = new AtomicReference<>();
    private static FakeUpstream upstream;
    private static Tomcat tomcat;
    private static TestClient client;

    @BeforeAll
    static void deploy() throws Exception {
        upstream = new FakeUpstream(exchange -> script.get().answer(exchange));
        tomcat = Tomcat.start("tomcat-virtual", "useVirtualThreads=\"true\" maxThreads=\"10\"",
                Map.of(), Map.of("OPENAI_BASE_URL", upstream.baseUrl().toString(),
                        "OPENAI_API_KEY", RunningSluice.KEY));
        client = new TestClient();
    }

    @AfterEach
    void upstreamScriptsSucceeded() {
        assertNull(upstream.scriptFailure(), "the fake upstream's script failed");
    }

    @AfterAll
    static void undeploy() throws Exception {
        if (client != null) {
            client.close();
        }
        if (tomcat != null) {
            tomcat.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void eventsArriveOneByOne() throws Exception {
        OneByOne proof = new OneByOne();
        script.set(proof::answer);
        proof.check(client, tomcat.uri("v1/chat/completions"));
        assertEquals("Bearer " + RunningSluice.KEY,
                proof.request().headers().get("authorization"));
    }

    @Test
    void manyStreamsAllProgress() throws Exception {
        HeldStreams held = new HeldStreams(40);
        script.set(held::answer);
        held.check(client, tomcat.uri("v1/chat/completions"), "Tomcat's virtual threads");
    }
}
