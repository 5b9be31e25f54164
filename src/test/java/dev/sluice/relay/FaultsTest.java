package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Config;
import dev.sluice.config.Retries;
import dev.sluice.config.Secret;
import dev.sluice.config.Timeouts;
import dev.sluice.sse.SseComment;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseItem;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One upstream fault per test, each from a fake upstream on a real socket: the client always gets
 * a well-formed ending (an HTTP error before the first event, an error event and [DONE] after it),
 * within the configured limits, and the upstream connection is always let go.
 */
class FaultsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final Duration SHORT = Duration.ofMillis(400);
    private static final Duration LONG = Duration.ofSeconds(30);

    @RegisterExtension
    final Relay relay = new Relay();

    private URI start(Timeouts timeouts, FakeUpstream.Script script) throws Exception {
        FakeUpstream upstream = relay.upstream(script);
        return relay.start(TestConfig.relayingTo(upstream.baseUrl(), new Secret(RunningSluice.KEY))
                .timeouts(timeouts).build());
    }

    private static Timeouts timeouts(Duration firstEvent, Duration idle, Duration heartbeat) {
        return new Timeouts(Duration.ofSeconds(5), LONG, firstEvent, idle, LONG, heartbeat);
    }

    private static JsonNode error(byte[] json) throws Exception {
        return JSON.readTree(json).path("error");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"400, invalid_request_error, ", "401, invalid_request_error, ",
            "404, invalid_request_error, ", "429, requests, 20", "500, server_error, ",
            "503, server_error, 3"})
    void upstreamErrorStatusIsRelayedWithItsMessage(int status, String type, String retryAfter)
            throws Exception {
        URI chat = relay.start(exchange -> {
            String body = "{\"error\":{\"message\":\"upstream says " + status + "\",\"type\":\""
                    + type + "\",\"param\":null,\"code\":null}}";
            if (retryAfter == null) {
                exchange.respond(status, "application/json", body);
            } else {
                exchange.respond(status, "application/json", body, "Retry-After", retryAfter);
            }
        });
        ContentResponse response = relay.client().post(chat, STREAM);
        assertEquals(status, response.getStatus());
        assertEquals("upstream says " + status,
                error(response.getContent()).path("message").asText());
        assertEquals(type, error(response.getContent()).path("type").asText());
        assertEquals(retryAfter, response.getHeaders().get("Retry-After"));
    }

    @Test
    void upstreamThatNeverAnswersIs504AfterTheResponseTimeout() throws Exception {
        CountDownLatch released = new CountDownLatch(1);
        FakeUpstream upstream = relay.upstream(exchange -> {
            assertTrue(exchange.awaitPeerClosed(10, TimeUnit.SECONDS),
                    "the relay kept waiting on an upstream that never answered");
            released.countDown();
        });
        Config config = TestConfig.relayingTo(upstream.baseUrl(), null)
                .timeouts(new Timeouts(Duration.ofSeconds(5), SHORT, LONG, LONG, LONG, LONG))
                .build();
        URI chat = relay.start(config);
        ContentResponse response = relay.client().post(chat, STREAM);
        assertEquals(504, response.getStatus());
        assertTrue(error(response.getContent()).path("message").asText()
                .contains("no response headers within 400 ms"));
        assertTrue(released.await(10, TimeUnit.SECONDS));
    }

    @Test
    void headersThenSilenceIs504WhenNothingWasSentYet() throws Exception {
        URI chat = start(timeouts(SHORT, LONG, LONG), exchange -> {
            exchange.startStream();
            assertTrue(exchange.awaitPeerClosed(10, TimeUnit.SECONDS));
        });
        ContentResponse response = relay.client().post(chat, STREAM);
        assertEquals(504, response.getStatus());
        assertEquals("upstream_timeout", error(response.getContent()).path("type").asText());
        assertTrue(error(response.getContent()).path("message").asText()
                .contains("no event within 400 ms"));
    }

    @Test
    void heartbeatsKeepAWaitingClientThenTheFirstEventTimeoutEndsInBand() throws Exception {
        URI chat = start(timeouts(Duration.ofMillis(800), LONG, Duration.ofMillis(100)),
                exchange -> {
                    exchange.startStream();
                    assertTrue(exchange.awaitPeerClosed(10, TimeUnit.SECONDS));
                });
        try (TestClient.Stream stream = relay.client().stream(chat, STREAM)) {
            assertEquals(200, stream.response().getStatus(), "a heartbeat commits the stream");
            List<SseItem> items = stream.rest();
            assertTrue(items.getFirst() instanceof SseComment c && c.text().equals("keep-alive"),
                    items::toString);
            assertEndsInBand(items, "upstream sent no event within 800 ms");
        }
    }

    @Test
    void silenceAfterAnEventEndsWithTheIdleTimeoutInBand() throws Exception {
        URI chat = start(timeouts(LONG, SHORT, Duration.ofMillis(100)), exchange -> {
            exchange.startStream().write("data: {\"n\":1}\n\n");
            assertTrue(exchange.awaitPeerClosed(10, TimeUnit.SECONDS));
        });
        try (TestClient.Stream stream = relay.client().stream(chat, STREAM)) {
            List<SseItem> items = stream.rest();
            assertEquals(SseEvent.of("{\"n\":1}"), items.getFirst());
            assertTrue(items.contains(new SseComment("keep-alive")), "silences get heartbeats");
            assertEndsInBand(items, "upstream sent nothing for 400 ms");
        }
    }

    @Test
    void heartbeatsNeverFallInsideAnEventTooLongToHold() throws Exception {
        String head = "data: {\"n\":1}\n\ndata: " + "x".repeat((1 << 20) + 10);
        String tail = "x\n\ndata: [DONE]\n\n";
        URI chat = start(timeouts(LONG, LONG, Duration.ofMillis(50)), exchange -> {
            exchange.startStream().write(head);
            exchange.awaitPeerClosed(400, TimeUnit.MILLISECONDS); // a silence of 8 heartbeats
            exchange.write(tail).end();
        });
        try (TestClient.Stream stream = relay.client().stream(chat, STREAM)) {
            // A heartbeat may fall between two events (after the long one ends, before [DONE]);
            // only those are taken out, so one inside the long event still fails the test.
            String got = new String(stream.restBytes(), StandardCharsets.UTF_8);
            assertEquals(head + tail, got.replaceAll("\n\n(: keep-alive\n)+", "\n\n"));
        }
    }

    @Test
    void plainTextClientsGetNoHeartbeatsInTheirText() throws Exception {
        String head = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"";
        URI chat = start(timeouts(LONG, LONG, Duration.ofMillis(50)), exchange -> {
            exchange.startStream().write(head + "a\"}}]}\n\n");
            exchange.awaitPeerClosed(400, TimeUnit.MILLISECONDS); // a silence of 8 heartbeats
            exchange.write(head + "b\"}}]}\n\ndata: [DONE]\n\n").end();
        });
        try (TestClient.Stream stream = relay.client().stream(chat, STREAM, "Accept",
                "text/plain")) {
            assertEquals("ab\n", new String(stream.restBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void slowDripOfOneByteEveryMillisecondIsRelayedWhole() throws Exception {
        String events = "data: {\"a\":\"\u00e9\"}\r\n\r\nevent: x\ndata: 2\n\ndata: [DONE]\n\n";
        URI chat = start(timeouts(LONG, SHORT, Duration.ofMillis(100)), exchange -> {
            exchange.startStream();
            for (byte b : events.getBytes(StandardCharsets.UTF_8)) {
                exchange.write(new byte[] {b});
                Thread.sleep(1); // the pacing under test, not a wait for anything
            }
            exchange.end();
        });
        try (TestClient.Stream stream = relay.client().stream(chat, STREAM)) {
            List<SseItem> events2 = stream.rest().stream()
                    .filter(item -> item instanceof SseEvent).toList();
            assertEquals(List.of(SseEvent.of("{\"a\":\"\u00e9\"}"), SseEvent.of("x", "2"),
                    SseEvent.of("[DONE]")), events2);
        }
    }

    @Test
    void invalidUtf8IsRelayedAsReplacementCharactersAsABrowserWouldShowIt() throws Exception {
        URI chat = relay.start(exchange -> {
            exchange.startStream();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            bytes.writeBytes("data: a".getBytes(StandardCharsets.US_ASCII));
            bytes.write(0xFF);
            bytes.writeBytes("b\n\ndata: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
            exchange.write(bytes.toByteArray()).end();
        });
        try (TestClient.Stream stream = relay.client().stream(chat, STREAM)) {
            assertEquals(List.of(SseEvent.of("a\uFFFDb"), SseEvent.of("[DONE]")), stream.rest());
        }
    }

    @Test
    void twoMebibyteLineIsRelayedWhole() throws Exception {
        String chunk = "x".repeat(64 * 1024);
        URI chat = relay.start(exchange -> {
            exchange.startStream().write("data: {\"n\":1}\n\n");
            for (int i = 0; i < 32; i++) {
                exchange.write(i == 0 ? "data: " + chunk : chunk);
            }
            exchange.write("\n\ndata: [DONE]\n\n").end();
        });
        try (TestClient.Stream stream = relay.client().stream(chat, STREAM)) {
            assertEquals("data: {\"n\":1}\n\ndata: " + chunk.repeat(32) + "\n\ndata: [DONE]\n\n",
                    new String(stream.restBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void gzipEncodedStreamIsDecodedAndStillRelayedEventByEvent() throws Exception {
        CountDownLatch clientHasFirst = new CountDownLatch(1);
        AtomicBoolean heldBack = new AtomicBoolean();
        URI chat = relay.start(exchange -> {
            exchange.startStream("Content-Encoding", "gzip");
            ByteArrayOutputStream compressed = new ByteArrayOutputStream();
            GZIPOutputStream gzip = new GZIPOutputStream(compressed, true);
            gzip.write("data: {\"n\":1}\n\n".getBytes(StandardCharsets.UTF_8));
            gzip.flush(); // a sync flush: everything so far can be inflated now
            exchange.write(compressed.toByteArray());
            compressed.reset();
            heldBack.set(clientHasFirst.await(10, TimeUnit.SECONDS));
            gzip.write("data: {\"n\":2}\n\ndata: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            gzip.finish();
            exchange.write(compressed.toByteArray()).end();
        });
        try (TestClient.Stream stream = relay.client().stream(chat, STREAM)) {
            assertFalse(stream.response().getHeaders().contains("Content-Encoding"));
            assertEquals("{\"n\":1}", stream.nextEvent().data());
            clientHasFirst.countDown();
            assertEquals(List.of(SseEvent.of("{\"n\":2}"), SseEvent.of("[DONE]")), stream.rest());
        }
        assertTrue(heldBack.get(), "the first event waited for the rest of the gzip stream");
    }

    @Test
    void errorEventBeforeAnyOtherBecomesAnHttpError() throws Exception {
        URI chat = relay.start(exchange -> exchange.startStream().write(
                "data: {\"error\":{\"message\":\"Rate limit reached for " + RunningSluice.KEY
                        + "\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}\n\n"
                        + "data: [DONE]\n\n").end());
        ContentResponse response = relay.client().post(chat, STREAM);
        assertEquals(429, response.getStatus());
        assertTrue(response.getMediaType().startsWith("application/json"));
        assertTrue(error(response.getContent()).path("message").asText()
                .startsWith("Rate limit reached"));
        assertFalse(response.getContentAsString().contains(RunningSluice.KEY));
    }

    @Test
    void emptyStreamIs502() throws Exception {
        URI chat = relay.start(exchange -> exchange.startStream().end());
        ContentResponse response = relay.client().post(chat, STREAM);
        assertEquals(502, response.getStatus());
        assertTrue(error(response.getContent()).path("message").asText()
                .contains("without an event"));
    }

    @Test
    void clientLeavingDuringSilenceIsNoticedByTheHeartbeatAndClosesTheUpstream() throws Exception {
        CountDownLatch clientLeft = new CountDownLatch(1);
        CountDownLatch upstreamClosed = new CountDownLatch(1);
        URI chat = start(timeouts(LONG, LONG, Duration.ofMillis(100)), exchange -> {
            exchange.startStream().write("data: {\"n\":1}\n\n");
            assertTrue(clientLeft.await(10, TimeUnit.SECONDS));
            // The upstream stays silent: only a heartbeat can find out that the client left.
            if (exchange.awaitPeerClosed(10, TimeUnit.SECONDS)) {
                upstreamClosed.countDown();
            }
        });
        TestClient.Stream stream = relay.client().stream(chat, STREAM);
        assertEquals("{\"n\":1}", stream.nextEvent().data());
        stream.abort();
        clientLeft.countDown();
        assertTrue(upstreamClosed.await(15, TimeUnit.SECONDS),
                "the upstream stayed open after the client left");
    }

    @Test
    void retriesA503AndRelaysOneCleanStream() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        FakeUpstream upstream = relay.upstream(exchange -> {
            if (calls.incrementAndGet() == 1) {
                exchange.respond(503, "application/json", "{\"error\":{\"message\":\"busy\"}}");
            } else {
                exchange.startStream().write("data: {\"n\":1}\n\ndata: [DONE]\n\n").end();
            }
        });
        URI chat = relay.start(TestConfig.relayingTo(upstream.baseUrl(), null)
                .retries(new Retries(2, Duration.ofMillis(10), Duration.ofSeconds(1))).build());
        try (TestClient.Stream stream = relay.client().stream(chat, STREAM)) {
            assertEquals(200, stream.response().getStatus());
            assertEquals(List.of(SseEvent.of("{\"n\":1}"), SseEvent.of("[DONE]")), stream.rest());
        }
        assertEquals(2, calls.get());
    }

    @Test
    void retryAfterLongerThanAllowedIsRelayedNotWaitedFor() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        FakeUpstream upstream = relay.upstream(exchange -> {
            calls.incrementAndGet();
            exchange.respond(429, "application/json", "{\"error\":{\"message\":\"slow down\"}}",
                    "Retry-After", "60");
        });
        URI chat = relay.start(TestConfig.relayingTo(upstream.baseUrl(), null)
                .retries(new Retries(2, Duration.ofMillis(10), Duration.ofSeconds(1))).build());
        ContentResponse response = relay.client().post(chat, STREAM);
        assertEquals(429, response.getStatus());
        assertEquals("60", response.getHeaders().get("Retry-After"));
        assertEquals(1, calls.get());
    }

    @Test
    void aStreamThatFailsAfterItsFirstByteIsNeverRetried() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch clientHasFirst = new CountDownLatch(1);
        FakeUpstream upstream = relay.upstream(exchange -> {
            calls.incrementAndGet();
            exchange.startStream().write("data: {\"n\":1}\n\n");
            assertTrue(clientHasFirst.await(10, TimeUnit.SECONDS));
            exchange.reset();
        });
        URI chat = relay.start(TestConfig.relayingTo(upstream.baseUrl(), null)
                .retries(new Retries(2, Duration.ofMillis(10), Duration.ofSeconds(1))).build());
        try (TestClient.Stream stream = relay.client().stream(chat, STREAM)) {
            assertEquals("{\"n\":1}", stream.nextEvent().data());
            clientHasFirst.countDown();
            assertEndsInBand(stream.rest(), "upstream stream failed");
        }
        assertEquals(1, calls.get());
    }

    /** The last two items are an OpenAI error event containing {@code message} and [DONE]. */
    private static void assertEndsInBand(List<SseItem> items, String message) throws Exception {
        assertTrue(items.size() >= 2, items::toString);
        assertEquals(SseEvent.of("[DONE]"), items.getLast());
        SseEvent errorEvent = (SseEvent) items.get(items.size() - 2);
        String text = error(errorEvent.data().getBytes(StandardCharsets.UTF_8)).path("message")
                .asText();
        assertTrue(text.contains(message), text);
        long errors = items.stream()
                .filter(item -> item instanceof SseEvent e && e.data() != null
                        && e.data().startsWith("{\"error\""))
                .count();
        assertEquals(1, errors, "exactly one error event");
    }
}
