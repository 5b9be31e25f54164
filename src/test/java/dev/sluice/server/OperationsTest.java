package dev.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import dev.sluice.web.Endpoints;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Test;

/** What an operator reads: Prometheus metrics of real traffic, readiness that turns off. */
class OperationsTest {

    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";

    @Test
    void metricsCountStreamsStatusesEventsAndRefusals() throws Exception {
        try (FakeUpstream upstream = new FakeUpstream(exchange -> exchange.startStream()
                        .write("data: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: [DONE]\n\n").end());
                RunningSluice sluice = new RunningSluice(
                        TestConfig.relayingTo(upstream.baseUrl(), null).build());
                TestClient client = new TestClient()) {
            URI chat = sluice.uri("/v1/chat/completions");
            try (TestClient.Stream stream = client.stream(chat, STREAM)) {
                stream.rest();
            }
            assertEquals(400, client.post(chat, "not json").getStatus());
            sluice.assertNoStreamLeftOpen();
            ContentResponse metrics = client.get(sluice.uri("/metrics"));
            assertEquals(200, metrics.getStatus());
            String text = metrics.getContentAsString();
            for (String line : new String[] {
                    "sluice_streams_total{outcome=\"done\",route=\"openai\"} 1.0",
                    "sluice_upstream_responses_total{route=\"openai\",status=\"200\"} 1.0",
                    "sluice_events_total{route=\"openai\"} 3.0",
                    "sluice_refused_total{reason=\"invalid_request_error\",route=\"openai\","
                            + "status=\"400\"} 1.0",
                    "sluice_streams_in_flight 0.0"}) {
                assertTrue(text.contains(line), () -> line + " missing in\n" + text);
            }
            assertTrue(text.contains("sluice_time_to_first_event_seconds_bucket"), text);
            assertTrue(text.contains("jvm_memory_used_bytes"), text);
        }
    }

    @Test
    void readinessTurnsOffWhenShutdownBegins() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (FakeUpstream upstream = new FakeUpstream(exchange -> {
                    exchange.startStream().write("data: {\"n\":1}\n\n");
                    release.await(10, TimeUnit.SECONDS);
                    exchange.write("data: [DONE]\n\n").end();
                });
                TestClient client = new TestClient()) {
            Server server = SluiceServer.createServer(TestConfig.relayingTo(upstream.baseUrl(),
                    null).shutdownGrace(Duration.ofSeconds(10)).build());
            server.start();
            URI base = URI.create(SluiceServer.url(server));
            assertEquals(200, client.get(base.resolve("/readyz")).getStatus());
            TestClient.Stream stream = client.stream(base.resolve("/v1/chat/completions"), STREAM);
            stream.nextEvent();
            Thread stopper = Thread.ofVirtual().start(() -> {
                try {
                    server.stop();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            // Readiness is read in-process here: a stopping Jetty accepts no new connection.
            Endpoints endpoints = server.getBean(Endpoints.class);
            for (int i = 0; i < 500 && endpoints.ready(); i++) {
                Thread.sleep(10); // bounded poll of a state flag; there is no event to await
            }
            assertTrue(!endpoints.ready(), "readiness stayed on during shutdown");
            release.countDown();
            stream.rest();
            stopper.join(Duration.ofSeconds(15));
        }
    }
}
