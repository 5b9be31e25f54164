package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.sse.SseComment;
import dev.sluice.sse.SseEvent;
import dev.sluice.testing.Relay;
import dev.sluice.testing.TestClient;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Streaming end to end over real sockets: a fake upstream writes chosen bytes, Sluice relays them,
 * a real HTTP client reads them. Order is proven with latches: the upstream holds back what comes
 * next until the client has seen what came before, so any buffering makes the test fail.
 */
class StreamingTest {

    private static final String CHAT = "{\"model\":\"gpt-test\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @RegisterExtension
    final Relay relay = new Relay();



    @Test
    void firstEventArrivesBeforeUpstreamSendsSecond() throws Exception {
        CountDownLatch clientHasFirst = new CountDownLatch(1);
        AtomicBoolean heldBack = new AtomicBoolean();
        URI chat = relay.start(exchange -> {
            exchange.startStream().write("data: {\"n\":1}\n\n");
            heldBack.set(clientHasFirst.await(10, TimeUnit.SECONDS));
            exchange.write("data: {\"n\":2}\n\ndata: [DONE]\n\n").end();
        });
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT)) {
            assertEquals("{\"n\":1}", stream.nextEvent().data());
            clientHasFirst.countDown();
            assertEquals("{\"n\":2}", stream.nextEvent().data());
            assertEquals("[DONE]", stream.nextEvent().data());
            assertNull(stream.next());
        }
        assertTrue(heldBack.get(), "event 1 reached the client only after event 2 was sent");
    }

    @Test
    void completeEventIsNotHeldBackByThePartOfTheNextThatArrivedWithIt() throws Exception {
        CountDownLatch clientHasFirst = new CountDownLatch(1);
        AtomicBoolean heldBack = new AtomicBoolean();
        URI chat = relay.start(exchange -> {
            exchange.startStream().write("data: first\n\ndata: sec");
            heldBack.set(clientHasFirst.await(10, TimeUnit.SECONDS));
            exchange.write("ond\n\ndata: [DONE]\n\n").end();
        });
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT)) {
            assertEquals("first", stream.nextEvent().data());
            clientHasFirst.countDown();
            assertEquals("second", stream.nextEvent().data());
        }
        assertTrue(heldBack.get(), "a complete event waited for the rest of the next one");
    }

    @Test
    void eventSplitAtEveryByteStillArrivesWhole() throws Exception {
        String events = "event: delta\r\nid: 7\r\ndata: {\"text\":\"h\u00e9llo \uD83D\uDE00\"}\r\n\r\n";
        URI chat = relay.start(exchange -> {
            exchange.startStream();
            for (byte b : events.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                exchange.write(new byte[] {b});
            }
            exchange.write("data: [DONE]\n\n").end();
        });
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT)) {
            assertEquals(new SseEvent("delta", "{\"text\":\"h\u00e9llo \uD83D\uDE00\"}", "7", null),
                    stream.nextEvent());
            assertEquals("[DONE]", stream.nextEvent().data());
        }
    }

    @Test
    void fieldsAndCommentsPassThroughUnchanged() throws Exception {
        URI chat = relay.start(exchange -> exchange.startStream()
                .write("event: thread.message.delta\nid: 42\nretry: 2500\ndata: line 1\n"
                        + "data: line 2\n\n"
                        + ": upstream keep-alive\n\n"
                        + "id: 43\n\n"
                        + "data:  leading space kept\n\n"
                        + "data: [DONE]\n\n")
                .end());
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT)) {
            assertEquals(List.of(
                    new SseEvent("thread.message.delta", "line 1\nline 2", "42", 2500L),
                    new SseComment("upstream keep-alive"),
                    new SseEvent(null, null, "43", null),
                    SseEvent.of(" leading space kept"),
                    SseEvent.of("[DONE]")), stream.rest());
        }
    }

    @Test
    void manyEventsInOneReadAllArriveInOrder() throws Exception {
        StringBuilder burst = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            burst.append("data: ").append(i).append("\n\n");
        }
        URI chat = relay.start(exchange -> exchange.startStream()
                .write(burst.append("data: [DONE]\n\n").toString()).end());
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT)) {
            for (int i = 0; i < 500; i++) {
                assertEquals(Integer.toString(i), stream.nextEvent().data());
            }
            assertEquals("[DONE]", stream.nextEvent().data());
            assertNull(stream.next());
        }
    }

    @Test
    void doneEndsTheResponseEvenIfUpstreamStaysOpen() throws Exception {
        CountDownLatch clientDone = new CountDownLatch(1);
        URI chat = relay.start(exchange -> {
            exchange.startStream().write("data: a\n\ndata: [DONE]\n\n");
            clientDone.await(10, TimeUnit.SECONDS); // the upstream neither ends nor closes
        });
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT)) {
            assertEquals("a", stream.nextEvent().data());
            assertEquals("[DONE]", stream.nextEvent().data());
            assertNull(stream.next(), "the response did not end after [DONE]");
        } finally {
            clientDone.countDown();
        }
    }

    @Test
    void upstreamCloseWithoutDoneEndsTheResponse() throws Exception {
        URI chat = relay.start(exchange -> exchange.startStream().write("data: only\n\n").end());
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT)) {
            assertEquals(List.of(SseEvent.of("only")), stream.rest());
        }
    }

    @Test
    void unterminatedLastEventIsDropped() throws Exception {
        URI chat = relay.start(exchange -> exchange.startStream()
                .write("data: whole\n\ndata: half").end());
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT)) {
            assertEquals(List.of(SseEvent.of("whole")), stream.rest());
        }
    }

    @Test
    void streamHeadersAreSetForProxiesAndBrowsers() throws Exception {
        URI chat = relay.start(exchange -> exchange.startStream(
                        "x-request-id", "req_123",
                        "Set-Cookie", "session=upstream",
                        "openai-organization", "org-secret-name")
                .write("data: [DONE]\n\n").end());
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT)) {
            var headers = stream.response().getHeaders();
            assertEquals(200, stream.response().getStatus());
            assertEquals("text/event-stream;charset=utf-8",
                    headers.get("Content-Type").replace(" ", "").toLowerCase());
            assertEquals("no-cache, no-transform", headers.get("Cache-Control"));
            assertEquals("no", headers.get("X-Accel-Buffering"));
            assertEquals("req_123", headers.get("X-Upstream-Request-Id"));
            assertTrue(headers.get("X-Request-Id").matches("[0-9a-f]{16}"), "Sluice's own id");
            assertFalse(headers.contains("Connection"), "Connection is illegal over HTTP/2");
            assertFalse(headers.contains("Set-Cookie"));
            assertFalse(headers.contains("openai-organization"));
            assertFalse(headers.contains("Content-Length"));
            stream.rest();
        }
    }

    @Test
    void exactBytesOnTheWire() throws Exception {
        URI chat = relay.start(exchange -> exchange.startStream()
                .write("data:x\r\n\r\nevent:e\rdata:y\r\rdata: [DONE]\n\n").end());
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT)) {
            assertEquals("data: x\n\nevent: e\ndata: y\n\ndata: [DONE]\n\n",
                    new String(stream.restBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Test
    void eventBytesGoOutAsTheyCameIn() throws Exception {
        String events = "id: 7\nevent: delta\nx-trace: a1\ndata: {\"text\":\"h\u00e9\"}\n"
                + "data:  two spaces\n\n: note\ndata: [DONE]\n\n";
        URI chat = relay.start(exchange -> exchange.startStream().write(events).end());
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT)) {
            assertEquals(events, new String(stream.restBytes(),
                    java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Test
    void commentsAfterTheFirstEventGoOutWithASpaceAfterTheColon() throws Exception {
        URI chat = relay.start(exchange -> exchange.startStream()
                .write("data: a\n\n:x\r\n:\n: y\ndata: [DONE]\n\n").end());
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT)) {
            assertEquals("data: a\n\n: x\n: \n: y\ndata: [DONE]\n\n",
                    new String(stream.restBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Test
    void upstreamCommentsBeforeTheFirstEventAreNotForwarded() throws Exception {
        URI chat = relay.start(exchange -> exchange.startStream()
                .write(": OPENROUTER PROCESSING\n\n:\n\ndata: first\n\ndata: [DONE]\n\n").end());
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT)) {
            assertEquals(List.of(SseEvent.of("first"), SseEvent.of("[DONE]")), stream.rest());
        }
    }
}
