package dev.sluice.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseItem;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.WholeBodyClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The WAR on Debian's Tomcat 10.1, whose workers are platform threads, limited here to
 * {@value #WORKERS}. Configured as a deployer would: the context parameter {@code sluice.config}
 * names a settings file, which names a route table; the key is in the environment.
 */
@Tag("integration")
class TomcatTest {

    private static final int WORKERS = 10;
    private static final int STREAMS = 4 * WORKERS;

    private static final AtomicReference<FakeUpstream.Script> script = new AtomicReference<>();
    private static FakeUpstream upstream;
    private static Tomcat tomcat;
    private static TestClient client;

    @BeforeAll
    static void deploy() throws Exception {
        upstream = new FakeUpstream(exchange -> script.get().answer(exchange));
        Path settings = Workspace.fresh("tomcat-settings");
        Path routes = settings.resolve("routes.properties");
        Files.writeString(routes, """
                route.openai.prefix = /v1
                route.openai.fallback = simulated
                route.provider.prefix = /provider/v1
                route.provider.url = %s
                route.provider.key-env = PROVIDER_API_KEY
                """.formatted(upstream.baseUrl()));
        Path file = settings.resolve("sluice.properties");
        Files.writeString(file, "sluice.routes = " + routes + "\n"
                + "sluice.simulated-token-delay = 1ms\n");
        tomcat = Tomcat.start("tomcat", "maxThreads=\"" + WORKERS + "\" minSpareThreads=\"2\"",
                Map.of("sluice.config", file.toString()),
                Map.of("PROVIDER_API_KEY", RunningSluice.KEY));
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
    void eventsArriveOneByOneWithTheKeyFromTheEnvironment() throws Exception {
        OneByOne proof = new OneByOne();
        script.set(proof::answer);
        proof.check(client, tomcat.uri("provider/v1/chat/completions"));
        FakeUpstream.Request request = proof.request();
        assertEquals("/v1/chat/completions", request.path());
        assertEquals("Bearer " + RunningSluice.KEY, request.headers().get("authorization"));
    }

    @Test
    void moreStreamsThanWorkerThreadsAllProgress() throws Exception {
        HeldStreams held = new HeldStreams(STREAMS);
        script.set(held::answer);
        held.check(client, tomcat.uri("provider/v1/chat/completions"),
                WORKERS + " worker threads");
    }

    @Test
    void clientLeavingClosesTheProviderConnection() throws Exception {
        LeavingClient leaving = new LeavingClient();
        script.set(leaving::answer);
        leaving.check(client, tomcat.uri("provider/v1/chat/completions"));
    }

    @Test
    void aClientLeavingLeavesTheNextStreamsAlone() throws Exception {
        // Tomcat gives a departed client's response object to a later request: a write still
        // in flight on the old stream must not spoil it.
        for (int i = 0; i < 20; i++) {
            LeavingClient leaving = new LeavingClient();
            script.set(leaving::answer);
            leaving.check(client, tomcat.uri("provider/v1/chat/completions"));
            OneByOne next = new OneByOne();
            script.set(next::answer);
            next.check(client, tomcat.uri("provider/v1/chat/completions"));
        }
    }

    @Test
    void aResumableStreamDroppedMidAnswerResumesWhole() throws Exception {
        // On Tomcat the stream runs on a virtual thread handed off with startAsync: the resume
        // must find the stream, take it over from the dropped connection and follow it live.
        CountDownLatch dropped = new CountDownLatch(1);
        script.set(exchange -> {
            exchange.startStream().write("data: {\"n\":1}\n\n");
            assertTrue(dropped.await(10, TimeUnit.SECONDS), "the client never dropped");
            exchange.write("data: {\"n\":2}\n\ndata: [DONE]\n\n").end();
        });
        String id;
        try (TestClient.Stream stream = client.stream(tomcat.uri("provider/v1/chat/completions"),
                OneByOne.CHAT, "X-Sluice-Resumable", "true")) {
            id = stream.response().getHeaders().get("X-Sluice-Stream-Id");
            assertEquals("id: " + id + ":0\n\n", stream.rawBlock());
            SseEvent first = stream.nextEvent();
            assertEquals(List.of("{\"n\":1}", id + ":1"), List.of(first.data(), first.id()));
            stream.abort();
        }
        dropped.countDown();
        try (TestClient.Stream resumed = client.streamGet(
                tomcat.uri("provider/v1/streams/" + id), "Last-Event-ID", id + ":1")) {
            List<String> rest = new ArrayList<>();
            for (SseItem item : resumed.rest()) {
                if (item instanceof SseEvent event && event.data() != null) {
                    rest.add(event.data() + " " + event.id());
                }
            }
            assertEquals(List.of("{\"n\":2} " + id + ":2", "[DONE] " + id + ":3"), rest);
        }
    }

    @Test
    void simulatedUpstreamAnswersUnderTheContextPath() throws Exception {
        StringBuilder text = new StringBuilder();
        try (TestClient.Stream stream = client.stream(tomcat.uri("v1/chat/completions"),
                OneByOne.CHAT)) {
            assertEquals("text/event-stream", stream.response().getHeaders()
                    .get("Content-Type").split(";")[0]);
            List<SseItem> items = stream.rest();
            for (SseItem item : items) {
                if (item instanceof SseEvent event && !"[DONE]".equals(event.data())) {
                    text.append(event.data());
                }
            }
            assertEquals(SseEvent.of("[DONE]"), items.getLast());
        }
        assertTrue(text.toString().contains("\"content\""), "no text arrived: " + text);
    }

    @Test
    void aBodyOverTheLimitIsAnswered413AfterTheClientWroteAllOfIt() throws Exception {
        WholeBodyClient.Answer answer = WholeBodyClient.post(tomcat.uri("v1/chat/completions"),
                "application/json", 10 << 20, false);

        assertEquals(413, answer.status(), answer.toString());
        assertEquals("request body is larger than 1048576 bytes", answer.message());
    }

    @Test
    void pageAndHealthAreServed() throws Exception {
        ContentResponse page = client.get(tomcat.uri(""));
        assertEquals(200, page.getStatus());
        assertTrue(page.getContentAsString().contains("<html"), "not the demo page");
        ContentResponse health = client.get(tomcat.uri("healthz"));
        assertEquals(200, health.getStatus());
        assertEquals("{\"status\":\"ok\"}", health.getContentAsString());
    }
}
