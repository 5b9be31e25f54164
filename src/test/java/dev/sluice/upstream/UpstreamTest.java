package dev.sluice.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.KeepAliveUpstream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shared upstream client: how it times the connect, and what it keeps between requests. */
class UpstreamTest {

    private static final Duration LONG = Duration.ofSeconds(20);

    @Test
    void aPooledConnectionKeepsNothingOfTheExchangeItServed() throws Exception {
        try (KeepAliveUpstream upstream = new KeepAliveUpstream();
                Upstream client = new Upstream(Duration.ofSeconds(5))) {
            upstream.endsAfterDone = true;
            upstream.lastChunk.release(2);
            URI chat = URI.create(upstream.baseUrl() + "/chat/completions");
            WeakReference<byte[]> sent = new WeakReference<>(relayOnce(client, chat));

            // Everything of the exchange, the request body among it, is garbage now.
            for (int i = 0; i < 200 && sent.get() != null; i++) {
                System.gc();
                Thread.sleep(10);
            }
            assertNull(sent.get(), "the pooled connection still holds the exchange it served");

            relayOnce(client, chat);
            assertEquals(1, upstream.connections.get(), "the connection was kept, and reused");
            assertNull(upstream.failures.peek());
        }
    }

    /** Sends a body, reads the whole answer, and returns the body it sent (its only holder). */
    private static byte[] relayOnce(Upstream client, URI chat) throws Exception {
        byte[] json = "{\"stream\":true}".getBytes(StandardCharsets.UTF_8);
        HttpResponse<InputStream> answer = client.send(chat, Map.of(), json, true, LONG);
        try (InputStream body = answer.body()) {
            assertTrue(new String(body.readAllBytes(), StandardCharsets.UTF_8)
                    .endsWith("data: [DONE]\n\n"));
        }
        return json;
    }

    @Test
    void aConnectionNotAcceptedInTimeIsAConnectTimeout() throws Exception {
        // A listener whose accept queue is full: the kernel drops further connection attempts,
        // so a connect neither succeeds nor fails.
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Upstream client = new Upstream(Duration.ofMillis(300))) {
            List<Socket> queued = fill(full);
            try {
                URI chat = URI.create("http://127.0.0.1:" + full.getLocalPort() + "/v1/chat");
                byte[] json = "{}".getBytes(StandardCharsets.UTF_8);
                HttpConnectTimeoutException e = assertThrows(HttpConnectTimeoutException.class,
                        () -> client.send(chat, Map.of(), json, true, LONG));
                assertTrue(e.getMessage().contains("300 ms"), e.getMessage());
                assertThrows(HttpConnectTimeoutException.class,
                        () -> client.send(chat, Map.of(), null, false, LONG),
                        "a request without a body has its connect timed too");
            } finally {
                for (Socket socket : queued) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void anUpstreamSlowToAnswerOnceConnectedIsNoConnectTimeout() throws Exception {
        // The connect is timed up to the moment the client sends the body; the wait for the
        // answer after that is the response timeout's, however long past the connect timeout.
        Duration connect = Duration.ofMillis(300);
        try (FakeUpstream upstream = new FakeUpstream(exchange -> {
                    Thread.sleep(connect.multipliedBy(4));
                    exchange.respond(200, "application/json", "{\"ok\":true}");
                });
                Upstream client = new Upstream(connect)) {
            URI chat = URI.create(upstream.baseUrl() + "/chat/completions");
            byte[] json = "{}".getBytes(StandardCharsets.UTF_8);
            HttpResponse<InputStream> answer = client.send(chat, Map.of(), json, false, LONG);
            try (InputStream body = answer.body()) {
                assertEquals("{\"ok\":true}",
                        new String(body.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
    }

    /** Connects to {@code server} until a connect no longer completes; the open sockets. */
    private static List<Socket> fill(ServerSocket server) throws IOException {
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            Socket socket = new Socket();
            try {
                socket.connect(new InetSocketAddress(server.getInetAddress(),
                        server.getLocalPort()), 200);
                sockets.add(socket);
            } catch (SocketTimeoutException e) {
                socket.close();
                return sockets;
            }
        }
        throw new AssertionError("the kernel accepted 64 connections on a backlog of 1");
    }
}
