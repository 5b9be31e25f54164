package dev.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseItem;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import dev.sluice.web.Endpoints;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Stopping the server refuses new requests and ends streams in flight cleanly. */
class ShutdownTest {

    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void streamInFlightFinishesWithinTheGracePeriodAndNewStreamsAreRefused() throws Exception {
        CountDownLatch stopping = new CountDownLatch(1);
        StopLog log = new StopLog();
        try (FakeUpstream upstream = new FakeUpstream(exchange -> {
                    exchange.startStream().write("data: {\"n\":1}\n\n");
                    assertTrue(stopping.await(10, TimeUnit.SECONDS));
                    exchange.write("data: {\"n\":2}\n\ndata: [DONE]\n\n").end();
                });
                TestClient client = new TestClient()) {
            Server server = SluiceServer.createServer(TestConfig.relayingTo(upstream.baseUrl(), null)
                    .shutdownGrace(Duration.ofSeconds(10)).build());
            server.start();
            URI chat = URI.create(SluiceServer.url(server)).resolve("/v1/chat/completions");
            TestClient.Stream stream = client.stream(chat, STREAM);
            assertEquals("{\"n\":1}", stream.nextEvent().data());

            Thread stopper = Thread.ofVirtual().start(() -> stopQuietly(server));
            awaitShutdownBegun(server, chat.getPort());
            assertNewStreamsRefused(client, chat);

            stopping.countDown();
            assertEquals(List.of(SseEvent.of("{\"n\":2}"), SseEvent.of("[DONE]")), stream.rest());
            stopper.join(Duration.ofSeconds(15));
            assertTrue(server.isStopped());
            List<String> said = log.messages();
            assertEquals(2, said.size(), said::toString);
            assertEquals("Stopping: 1 stream in flight may finish within 10s; new requests get 503",
                    said.get(0));
            assertTrue(said.get(1).matches("Stopped after [0-9.]+s: 1 stream in flight, none cut "
                    + "off"), said::toString);
        } finally {
            log.close();
        }
    }

    @Test
    void aRequestOnAConnectionKeptAliveIntoTheShutdownIsRefusedWithJson() throws Exception {
        CountDownLatch stopping = new CountDownLatch(1);
        try (FakeUpstream upstream = new FakeUpstream(exchange -> {
                    exchange.startStream().write("data: {\"n\":1}\n\n");
                    assertTrue(stopping.await(10, TimeUnit.SECONDS));
                    exchange.write("data: [DONE]\n\n").end();
                });
                TestClient client = new TestClient();
                Socket kept = new Socket()) {
            Server server = SluiceServer.createServer(TestConfig.relayingTo(upstream.baseUrl(), null)
                    .shutdownGrace(Duration.ofSeconds(10)).build());
            server.start();
            URI base = URI.create(SluiceServer.url(server));
            TestClient.Stream stream = client.stream(base.resolve("/v1/chat/completions"), STREAM);
            assertEquals("{\"n\":1}", stream.nextEvent().data());
            kept.connect(new InetSocketAddress("127.0.0.1", base.getPort()));
            kept.setSoTimeout(10_000);
            assertTrue(exchange(kept, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    .startsWith("HTTP/1.1 200"));

            Thread stopper = Thread.ofVirtual().start(() -> stopQuietly(server));
            // Only the handler: Jetty cuts an idle connection's time to 1 s as the stop begins,
            // so the kept one's request goes at once, not after the port has been probed.
            awaitHandlerRefuses(server);
            String refused = exchange(kept, "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost"
                    + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + STREAM.length() + "\r\n\r\n" + STREAM);

            assertTrue(refused.startsWith("HTTP/1.1 503"), refused);
            assertTrue(refused.contains("\"type\":\"server_shutting_down\""), refused);
            stopping.countDown();
            stream.rest();
            stopper.join(Duration.ofSeconds(15));
        }
    }

    @Test
    void everyConnectionAcceptedAsShutdownBeginsIsAnswered() throws Exception {
        Set<String> allowed = Set.of("200", "503 server_shutting_down", "refused", "reset");
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        // The moment is a race, so it is run into many times: up to 40 stops, each with four
        // clients connecting as fast as they can from before it until the port refuses them.
        for (int round = 0; round < 40 && allowed.containsAll(seen.keySet()); round++) {
            Server server = SluiceServer.createServer(TestConfig.relayingTo(null, null).build());
            server.start();
            int port = URI.create(SluiceServer.url(server)).getPort();
            CountDownLatch answered = new CountDownLatch(20);
            AtomicBoolean over = new AtomicBoolean();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                clients.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 5_000 && !over.get(); i++) {
                        String outcome = healthz(port);
                        seen.merge(outcome, 1, Integer::sum);
                        answered.countDown();
                        if (outcome.equals("refused") || !allowed.contains(outcome)) {
                            over.set(true);
                        }
                    }
                }));
            }
            assertTrue(answered.await(10, TimeUnit.SECONDS), "no answers before the stop");
            server.stop();
            for (Thread client : clients) {
                client.join(Duration.ofSeconds(30));
            }
        }
        assertTrue(allowed.containsAll(seen.keySet()), seen::toString);
        assertTrue(seen.containsKey("503 server_shutting_down"), seen::toString);
    }

    /**
     * One {@code GET /healthz} on a new connection: its status (a 503 with its error type),
     * {@code refused} (not listening), {@code reset} (connected to the listening socket, closed
     * by the system before Sluice took the connection: the client knows at once), or what
     * went wrong with a connection Sluice took: {@code unanswered} when it was closed without
     * an answer, {@code hung} when none came within 5 s.
     */
    private static String healthz(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(5000);
            String answer = exchange(socket, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
                    + "Connection: close\r\n\r\n");
            if (answer.endsWith("[connection closed]")) {
                return "unanswered";
            }
            String status = answer.substring(9, 12);
            return status.equals("503") ? status + " " + JSON.readTree(
                    answer.substring(answer.indexOf("\r\n\r\n") + 4)).path("error")
                    .path("type").asText() : status;
        } catch (ConnectException e) {
            return "refused";
        } catch (SocketTimeoutException e) {
            return "hung";
        } catch (SocketException e) {
            return e.getMessage().startsWith("Connection reset") ? "reset" : e.toString();
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Writes one request on {@code socket} and reads its answer, head and body (by length). */
    private static String exchange(Socket socket, String request) throws IOException {
        socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.UTF_8).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return head.toString(StandardCharsets.UTF_8) + "[connection closed]";
            }
            head.write(b);
        }
        String text = head.toString(StandardCharsets.UTF_8);
        Matcher length = Pattern.compile("(?i)content-length: *([0-9]+)").matcher(text);
        int n = length.find() ? Integer.parseInt(length.group(1)) : 0;
        return text + new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }

    @Test
    void streamStillRunningAfterTheGracePeriodEndsWithAShutdownErrorEvent() throws Exception {
        StopLog log = new StopLog();
        try (FakeUpstream upstream = new FakeUpstream(exchange -> {
                    exchange.startStream().write("data: {\"n\":1}\n\n");
                    // Never ends by itself: only the relay closing the connection ends it.
                    assertTrue(exchange.awaitPeerClosed(15, TimeUnit.SECONDS));
                });
                TestClient client = new TestClient()) {
            Server server = SluiceServer.createServer(TestConfig.relayingTo(upstream.baseUrl(), null)
                    .shutdownGrace(Duration.ofMillis(300)).build());
            server.start();
            URI chat = URI.create(SluiceServer.url(server)).resolve("/v1/chat/completions");
            TestClient.Stream stream = client.stream(chat, STREAM);
            assertEquals("{\"n\":1}", stream.nextEvent().data());

            Thread stopper = Thread.ofVirtual().start(() -> stopQuietly(server));
            List<SseItem> rest = stream.rest();
            assertEquals(2, rest.size(), rest::toString);
            String error = ((SseEvent) rest.getFirst()).data();
            assertEquals("server_shutting_down",
                    JSON.readTree(error).path("error").path("type").asText());
            assertEquals(SseEvent.of("[DONE]"), rest.getLast());
            stopper.join(Duration.ofSeconds(15));
            assertTrue(server.isStopped());
            List<String> said = log.messages();
            assertEquals(2, said.size(), said::toString);
            assertEquals("Stopping: 1 stream in flight may finish within 0.3s; new requests get "
                    + "503", said.get(0));
            assertTrue(said.get(1).matches("Stopped after [0-9.]+s: 1 stream in flight, 1 cut off "
                    + "at the 0.3s grace limit with a shutdown error"), said::toString);
        } finally {
            log.close();
        }
    }

    @Test
    void stopWithNothingInFlightSaysSo() throws Exception {
        StopLog log = new StopLog();
        try {
            Server server = SluiceServer.createServer(TestConfig.relayingTo(null, null).build());
            server.start();
            server.stop();
            List<String> said = log.messages();
            assertEquals(2, said.size(), said::toString);
            assertEquals("Stopping: 0 streams in flight may finish within 5s; new requests get 503",
                    said.get(0));
            assertTrue(said.get(1).matches("Stopped after [0-9.]+s: no stream was in flight"),
                    said::toString);
        } finally {
            log.close();
        }
    }

    /**
     * Jetty stops accepting connections when shutdown begins, and a request that still arrives
     * on an open connection gets a JSON 503: either way no new stream starts.
     */
    private static void assertNewStreamsRefused(TestClient client, URI chat) throws Exception {
        ContentResponse refused;
        try {
            refused = client.post(chat, STREAM);
        } catch (ExecutionException e) {
            assertTrue(e.getCause() instanceof ConnectException, e::toString);
            return;
        }
        assertEquals(503, refused.getStatus());
        assertEquals("server_shutting_down",
                JSON.readTree(refused.getContent()).path("error").path("type").asText());
    }

    /** What Sluice logs about stopping, from the moment it is made until it is closed. */
    private static final class StopLog implements AutoCloseable {
        private final Logger logger = (Logger) LoggerFactory.getLogger(Endpoints.class);
        private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

        StopLog() {
            appender.start();
            logger.addAppender(appender);
        }

        /** Complete once the server has stopped: the last line is written before that. */
        List<String> messages() {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }

        @Override
        public void close() {
            logger.detachAppender(appender);
        }
    }

    private static void stopQuietly(Server server) {
        try {
            server.stop();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Polls Jetty's own state (there is no event to wait on for "shutdown has begun") until the
     * handler refuses new requests and the connector has stopped listening, then the port itself
     * until it refuses a connection. The connector says it is closed a moment before it closes
     * its socket; a connection made in that moment is answered all the same (see
     * {@link #everyConnectionAcceptedAsShutdownBeginsIsAnswered}), but is not what these tests
     * are about.
     */
    private static void awaitShutdownBegun(Server server, int port) throws Exception {
        awaitHandlerRefuses(server);
        ServerConnector connector = (ServerConnector) server.getConnectors()[0];
        for (int i = 0; i < 500 && connector.isOpen(); i++) {
            Thread.sleep(10);
        }
        assertFalse(connector.isOpen(), "the connector still listens");
        for (int i = 0; i < 500 && accepts(port); i++) {
            Thread.sleep(10);
        }
        assertFalse(accepts(port), "the port still accepts connections");
    }

    /** Polls until the handler refuses new requests: shutdown has begun. */
    private static void awaitHandlerRefuses(Server server) throws InterruptedException {
        GracefulHandler graceful = server.getDescendant(GracefulHandler.class);
        for (int i = 0; i < 500 && !graceful.isShutdown(); i++) {
            Thread.sleep(10);
        }
        assertTrue(graceful.isShutdown(), "shutdown did not begin");
    }

    /** Whether a connection to {@code port} on loopback is accepted (and closed at once). */
    private static boolean accepts(int port) throws IOException {
        try (Socket probe = new Socket()) {
            probe.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (ConnectException refused) {
            return false;
        }
    }
}
