package dev.sluice.relay;

import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Policy;
import dev.sluice.config.Resume;
import dev.sluice.config.Route;
import dev.sluice.config.Timeouts;
import dev.sluice.resume.Resumables;
import dev.sluice.sse.SseComment;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseItem;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.ReleasedEvents;
import dev.sluice.testing.Streams;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import dev.sluice.testing.TranscriptLines;
import dev.sluice.web.Endpoints;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * On a route that drains, a resumable stream that is stopped or abandoned is read on for the
 * usage its upstream reports at the end and charged, as a plain stream whose client leaves is:
 * a daily budget of 100 tokens admits two answers of 53 tokens whichever way they end, and its
 * readers see the end a stopped or abandoned stream has always had. On a route that cancels,
 * and on a draining one with no drain permit left, a stop still closes the upstream at once.
 */
class DrainedResumesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "slc_drained-resumes-token";
    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";

    @RegisterExtension
    final Relay relay = new Relay();

    @RegisterExtension
    final TranscriptLines lines = new TranscriptLines();

    private final Answers upstream = new Answers();

    /** How a stream's client leaves it before its end. */
    enum Leaving {
        PLAIN_CLIENT_LEAVES, RESUMABLE_STOPPED, RESUMABLE_ABANDONED, STARTED_AND_STOPPED
    }

    /**
     * One answer of the upstream: two chunks, then a chunk every 10 ms, as a model generates,
     * until the test lets it {@link #end} with its usage (53 tokens) and {@code [DONE]}.
     */
    private static final class Answer {
        /** After its two chunks the upstream is silent, as a model thinking, until its end. */
        final boolean silent;
        final CountDownLatch end = new CountDownLatch(1);
        /** The usage and the end were written. */
        final CountDownLatch ended = new CountDownLatch(1);
        /** The relay closed the connection before the end. */
        final CountDownLatch cut = new CountDownLatch(1);

        Answer(boolean silent) {
            this.silent = silent;
        }
    }

    /** The upstream's script: each request takes the next {@link Answer} the test queued. */
    private static final class Answers implements FakeUpstream.Script {
        final BlockingQueue<Answer> queued = new LinkedBlockingQueue<>();

        Answer next() {
            return next(false);
        }

        Answer next(boolean silent) {
            Answer answer = new Answer(silent);
            queued.add(answer);
            return answer;
        }

        @Override
        public void answer(FakeUpstream.Exchange exchange) throws Exception {
            Answer a = queued.poll(10, TimeUnit.SECONDS);
            if (a == null) {
                throw new AssertionError("a request came that the test did not expect");
            }
            try {
                exchange.startStream().write(ReleasedEvents.event(1))
                        .write(ReleasedEvents.event(2));
                // The pace of a generating model, bounded to 10 s.
                for (int i = 3; i < 1000 && !a.end.await(10, TimeUnit.MILLISECONDS); i++) {
                    if (exchange.awaitPeerClosed(0, TimeUnit.MILLISECONDS)) {
                        a.cut.countDown();
                        return;
                    }
                    if (!a.silent) {
                        exchange.write(ReleasedEvents.event(i));
                    }
                }
                exchange.write(Streams.LAST).end();
                a.ended.countDown();
            } catch (IOException e) {
                a.cut.countDown(); // the relay reset the connection
            }
        }
    }

    private void start(Duration grace, int maxDrains) throws Exception {
        start(grace, maxDrains, Timeouts.DEFAULTS);
    }

    private void start(Duration grace, int maxDrains, Timeouts timeouts) throws Exception {
        FakeUpstream fake = relay.upstream(upstream);
        Client small = new Client("small", Set.of(), Set.of(), 0, 0, 100);
        relay.start(TestConfig.relayingTo(fake.baseUrl(), null)
                .route(new Route("billed", "/billed", fake.baseUrl(), "openai-chat", null,
                        Policy.NONE, true))
                .route(new Route("cut", "/cut", fake.baseUrl(), "openai-chat", null,
                        Policy.NONE, false))
                .resume(new Resume(Duration.ofMinutes(5), 64L << 20, grace, null))
                .maxDrains(maxDrains).timeouts(timeouts)
                .access(new Access(Map.of(sha256(TOKEN), small), null, null, Set.of())).build());
    }

    private URI uri(String path) {
        return URI.create(relay.sluiceUrl() + path);
    }

    private TestClient.Stream open(String route, boolean resumable) throws Exception {
        return resumable
                ? relay.client().stream(uri(route + "/chat/completions"), STREAM,
                        "Authorization", "Bearer " + TOKEN, "X-Sluice-Resumable", "true")
                : relay.client().stream(uri(route + "/chat/completions"), STREAM,
                        "Authorization", "Bearer " + TOKEN);
    }

    private ContentResponse stop(String route, String id) throws Exception {
        return relay.client().delete(uri(route + "/streams/" + id),
                "Authorization", "Bearer " + TOKEN);
    }

    /** The last items a stopped stream's reader gets: {@code : stopped} and {@code [DONE]}. */
    private static void assertStoppedEnd(List<SseItem> end) {
        assertTrue(end.size() >= 2, end.toString());
        assertEquals(new SseComment("stopped"), end.get(end.size() - 2), end.toString());
        assertEquals("[DONE]", ((SseEvent) end.getLast()).data(), end.toString());
    }

    /**
     * Starts a stream on the draining route and has its client leave it after two events, the
     * way {@code leaving} says, then lets the upstream end with its usage.
     *
     * @return false when the stream was refused with 429, its budget used up
     */
    private boolean leaveOne(Leaving leaving) throws Exception {
        Answer answer = upstream.next();
        String id;
        TestClient.Stream reader;
        if (leaving == Leaving.STARTED_AND_STOPPED) {
            ContentResponse started = relay.client().post(uri("/billed/streams"), STREAM,
                    "Authorization", "Bearer " + TOKEN);
            if (started.getStatus() == 429) {
                assertBudgetRefusal(started.getContent());
                return false;
            }
            assertEquals(201, started.getStatus(), started.getContentAsString());
            id = JSON.readTree(started.getContent()).path("id").asText();
            reader = relay.client().streamGet(uri("/billed/streams/" + id),
                    "Authorization", "Bearer " + TOKEN);
        } else {
            reader = open("/billed", leaving != Leaving.PLAIN_CLIENT_LEAVES);
            if (reader.response().getStatus() == 429) {
                assertBudgetRefusal(reader.restBytes());
                return false;
            }
            id = reader.response().getHeaders().get(StreamsEndpoint.STREAM_ID);
        }
        assertEquals(200, reader.response().getStatus());
        reader.nextEvent();
        reader.nextEvent();
        switch (leaving) {
            case PLAIN_CLIENT_LEAVES -> reader.abort();
            case RESUMABLE_STOPPED, STARTED_AND_STOPPED -> {
                assertEquals(204, stop("/billed", id).getStatus());
                assertStoppedEnd(reader.rest()); // then the response ends, the drain going on
            }
            case RESUMABLE_ABANDONED -> {
                reader.abort();
                assertTrue(resumables().find(id).log().awaitClosed(Duration.ofSeconds(10)),
                        "the grace period passed and the log was not ended");
                // A late reader sees the end an abandoned stream has: its error, then [DONE].
                List<String> end = ReleasedEvents.data(relay.client().streamGet(
                        uri("/billed/streams/" + id), "Authorization", "Bearer " + TOKEN,
                        "Last-Event-ID", id + ":2").rest());
                assertTrue(end.get(end.size() - 2).contains("stream_abandoned"), end.toString());
                assertEquals("[DONE]", end.getLast());
            }
        }
        answer.end.countDown();
        assertTrue(answer.ended.await(10, TimeUnit.SECONDS),
                "the upstream was cut off before its usage instead of drained");
        relay.sluiceStreamsDone();
        return true;
    }

    private static void assertBudgetRefusal(byte[] body) throws IOException {
        assertEquals("the daily budget of 100 tokens is used up",
                JSON.readTree(body).path("error").path("message").asText());
    }

    @ParameterizedTest
    @EnumSource(Leaving.class)
    void streamsLeftEarlyReachTheBudgetAsPlainStreamsWhoseClientsLeaveDo(Leaving leaving)
            throws Exception {
        // A short grace only where the test waits for it: elsewhere nobody is abandoned. One
        // drain at a time: each stream's drain must give its permit back for the next.
        start(leaving == Leaving.RESUMABLE_ABANDONED ? Duration.ofMillis(200)
                : Duration.ofMinutes(1), 1);
        int admitted = 0;
        while (admitted < 4 && leaveOne(leaving)) {
            admitted++;
        }
        assertEquals(2, admitted, "53 + 53 tokens use up a budget of 100, and 53 do not");
        List<JsonNode> logged = lines.awaitLines(2);
        assertEquals(2, logged.size(), logged.toString());
        for (JsonNode line : logged) {
            if (leaving != Leaving.PLAIN_CLIENT_LEAVES) {
                // A plain stream may reach its end before its write finds the client gone.
                assertEquals("client_closed", line.path("outcome").asText(), line.toString());
            }
            assertEquals(20, line.path("prompt_tokens").asInt(), line.toString());
            assertEquals(33, line.path("completion_tokens").asInt(), line.toString());
        }
    }

    /** A resumable stream read for two events and stopped; the upstream's answer is returned. */
    private Answer stoppedAfterTwo(String route) throws Exception {
        Answer answer = upstream.next();
        TestClient.Stream reader = open(route, true);
        String id = reader.response().getHeaders().get(StreamsEndpoint.STREAM_ID);
        assertNotNull(id);
        reader.nextEvent();
        reader.nextEvent();
        assertEquals(204, stop(route, id).getStatus());
        assertStoppedEnd(reader.rest());
        return answer;
    }

    private void assertCancelledUncharged(Answer answer) throws Exception {
        assertTrue(answer.cut.await(10, TimeUnit.SECONDS),
                "the upstream was read on after the stop instead of cancelled");
        answer.end.countDown();
        relay.sluiceStreamsDone();
        JsonNode line = lines.awaitLines(1).getFirst();
        assertTrue(line.path("prompt_tokens").isNull(), line.toString());
    }

    @Test
    void onARouteThatCancelsAStopClosesTheUpstreamAtOnce() throws Exception {
        start(Duration.ofMinutes(1), 2);
        assertCancelledUncharged(stoppedAfterTwo("/cut"));
    }

    @Test
    void withNoDrainPermitLeftAStopClosesTheUpstreamAtOnce() throws Exception {
        start(Duration.ofMinutes(1), 0);
        assertCancelledUncharged(stoppedAfterTwo("/billed"));
    }

    @Test
    void aStopDuringAnUpstreamSilenceEndsTheStreamWithinItsIdleLimit() throws Exception {
        Timeouts d = Timeouts.DEFAULTS;
        start(Duration.ofMinutes(1), 1, new Timeouts(d.connect(), d.response(), d.firstEvent(),
                Duration.ofMillis(500), d.stream(), d.heartbeat()));
        Answer answer = upstream.next(true);
        TestClient.Stream reader = open("/billed", true);
        String id = reader.response().getHeaders().get(StreamsEndpoint.STREAM_ID);
        reader.nextEvent();
        reader.nextEvent();
        // The drain waits for the upstream's next item, which does not come: the idle limit
        // ends the stream, with the end a stop gives it, and nothing is charged.
        assertEquals(204, stop("/billed", id).getStatus());
        assertStoppedEnd(reader.rest());
        assertCancelledUncharged(answer);
    }

    private Resumables resumables() {
        return relay.sluice().server().getBean(Endpoints.class).resumables();
    }
}
