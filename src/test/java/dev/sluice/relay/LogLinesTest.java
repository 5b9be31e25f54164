package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.sluice.config.Policy;
import dev.sluice.config.Route;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.TestConfig;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * What the log lines say: a client's value cannot end the line or forge another (a model or any
 * other text it sent is logged with its control characters escaped, in the text log and in the
 * transcript line alike), and the transcript line is marked truncated only when it dropped
 * content it was asked to keep.
 */
class LogLinesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Each could start a new line in some log viewer, or rewrite the one shown. */
    private static final List<String> BREAKERS = List.of("\n", "\r", "\u2028", "\u2029",
            "\u0085", "\u000b", "\u000c", "\u001b", "\u0000");
    private static final Policy ALLOWLIST = new Policy(Set.of("gpt-4o-mini"), null, Map.of(),
            Map.of(), Map.of(), Map.of());

    @RegisterExtension
    final Relay relay = new Relay();

    /** Every log line, as it is appended: a refusal is logged just after its answer is sent. */
    private final BlockingQueue<ILoggingEvent> appended = new LinkedBlockingQueue<>();
    private final List<ILoggingEvent> seen = new ArrayList<>();
    private final AppenderBase<ILoggingEvent> logs = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            appended.add(event);
        }
    };

    @BeforeEach
    void collect() {
        logs.start();
        root().addAppender(logs);
    }

    @AfterEach
    void stopCollecting() {
        root().detachAppender(logs);
    }

    /** Waits, up to 10 s, until {@code count} lines match; returns the first that matched. */
    private ILoggingEvent await(Predicate<ILoggingEvent> match, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (seen.stream().filter(match).count() < count) {
            ILoggingEvent event = appended.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (event == null) {
                throw new AssertionError("fewer than " + count + " matching log lines in " + seen);
            }
            seen.add(event);
        }
        return seen.stream().filter(match).findFirst().orElseThrow();
    }

    private static Predicate<ILoggingEvent> saying(String text) {
        return e -> e.getFormattedMessage().contains(text);
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    private URI start() throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> exchange.startStream()
                .write("data: {\"choices\":[]}\n\n".repeat(5) + "data: [DONE]\n\n").end());
        return relay.start(TestConfig.relayingTo(upstream.baseUrl(), null).policy(ALLOWLIST)
                .route(new Route("open", "/open", upstream.baseUrl(), "openai-chat", null,
                        Policy.NONE, false)).build());
    }

    private void assertNoLineBreaks() {
        appended.drainTo(seen);
        assertTrue(seen.size() > 0);
        for (ILoggingEvent event : seen) {
            String line = event.getFormattedMessage();
            for (String breaker : BREAKERS) {
                assertTrue(!line.contains(breaker), "a raw U+" + Integer.toHexString(
                        breaker.charAt(0)) + " in the log line: " + line);
            }
        }
    }

    private String model(String text) {
        return "{\"model\":" + TextNode.valueOf(text) + ",\"stream\":true}";
    }

    @Test
    void aRefusedModelIsLoggedWithItsControlCharactersEscaped() throws Exception {
        URI chat = start();
        for (String breaker : BREAKERS) {
            assertEquals(400, relay.client().post(chat, model("gpt" + breaker
                    + "INFO forged line")).getStatus());
        }
        await(saying("400 refused: model 'gpt"), BREAKERS.size());
        await(saying("model 'gpt\\nINFO forged line' is not allowed"), 1);
        await(saying("model 'gpt\\u2028INFO forged line' is not allowed"), 1);
        assertNoLineBreaks();
    }

    @Test
    void aBackslashCannotFakeAnEscape() throws Exception {
        URI chat = start();
        assertEquals(400, relay.client().post(chat, model("gpt\\nINFO")).getStatus());
        await(saying("model 'gpt\\\\nINFO' is not allowed"), 1);
        assertNoLineBreaks();
    }

    @Test
    void aRelayedModelIsEscapedInTheTranscriptLine() throws Exception {
        start();
        URI open = URI.create(relay.sluiceUrl() + "/open/chat/completions");
        for (String breaker : BREAKERS) {
            assertEquals(200, relay.client().post(open, model("m" + breaker + "x")).getStatus());
        }
        Predicate<ILoggingEvent> transcript = e -> e.getLoggerName().equals(
                "dev.sluice.transcript");
        await(transcript, BREAKERS.size());
        await(transcript.and(e -> readModel(e).equals("m\\u2028x")), 1);
        assertNoLineBreaks();
    }

    @Test
    void aSmallStreamWithoutContentLoggedIsNotCalledTruncated() throws Exception {
        start();
        URI open = URI.create(relay.sluiceUrl() + "/open/chat/completions");
        assertEquals(200, relay.client().post(open, model("m")).getStatus());
        ILoggingEvent line = await(e -> e.getLoggerName().equals("dev.sluice.transcript"), 1);
        assertEquals(6, JSON.readTree(line.getFormattedMessage()).path("events").asInt());
        assertFalse(JSON.readTree(line.getFormattedMessage()).has("truncated"),
                line.getFormattedMessage());
    }

    private static String readModel(ILoggingEvent event) {
        try {
            return JSON.readTree(event.getFormattedMessage()).path("model").asText();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
