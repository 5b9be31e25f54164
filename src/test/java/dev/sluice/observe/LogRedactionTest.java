package dev.sluice.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Secret;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sluice's logging setup, in both formats: a key-shaped string in a log message
 * never reaches the console, and everything else does.
 */
class LogRedactionTest {

    private static final String KEY = "sk-proj-Zq8xLw3vNp5tRb7yKd2mHs9";
    /** A key that looks like no key: only the configuration can tell. */
    private static final String HEX = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567";

    @Test
    void theSetupIsWhatLogbackRunsAtStart() {
        LoggerContext running = (LoggerContext) LoggerFactory.getILoggerFactory();
        assertNotNull(running.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("text"),
                "LogSetup is registered with Logback and configured this JVM's logging");
        assertEquals(Level.WARN, running.getLogger("org.eclipse.jetty").getLevel());
    }

    @ParameterizedTest
    @ValueSource(strings = {"text", "json"})
    void keyShapedTextInAMessageIsRedacted(String format) throws Exception {
        String out = logged(format, "upstream said: Incorrect API key provided: " + KEY);

        assertFalse(out.contains(KEY), out);
        assertTrue(out.contains("upstream said: Incorrect API key provided: [redacted "), out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"text", "json"})
    void aConfiguredKeyIsRedactedFromMessagesAndExceptionsWhateverItLooksLike(String format)
            throws Exception {
        Redaction.learnEverywhere(List.of(new Secret(HEX)));
        Exception failure = new IllegalStateException("read failed for " + HEX,
                new java.io.IOException("upstream echoed " + KEY));
        failure.addSuppressed(new RuntimeException("also " + HEX));

        String out = logged(format, "upstream said " + HEX, failure);

        assertFalse(out.contains(HEX), out);
        assertFalse(out.contains(KEY), out);
        assertTrue(out.contains("upstream said [redacted "), out);
        assertTrue(out.contains("IllegalStateException"), out);
        assertTrue(out.contains("read failed for [redacted "), out);
        assertTrue(out.contains("upstream echoed [redacted "), out);
        assertTrue(out.contains("also [redacted "), out);
    }

    @Test
    void aTextLineShowsTheRequestIdApartFromTheLoggerName() throws Exception {
        String with = logged("text", "route openai 200 json in 3 ms", null, "4aae604d2a835ab5");
        String without = logged("text", "route openai ready");
        String empty = logged("text", "route openai ready", null, "");

        assertTrue(with.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  LogRedactionTest "
                + "\\[4aae604d2a835ab5] - route openai 200 json in 3 ms\\R"), with);
        assertTrue(without.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  LogRedactionTest "
                + "- route openai ready\\R"), without);
        assertTrue(empty.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  LogRedactionTest "
                + "- route openai ready\\R"), empty);
    }

    @ParameterizedTest
    @ValueSource(strings = {"text", "json"})
    void sluicesOwnHelpIsLoggedAsWrittenAndRealBearerTokensAreNot(String format)
            throws Exception {
        String help = "openai 401 refused: send a token as 'Authorization: Bearer <token>' (or "
                + "'x-api-key: <token>'); the bearer token is not a valid JWT";
        String jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";

        String logged = logged(format, help);
        assertEquals(help, format.equals("text") ? logged.substring(logged.indexOf(" - ") + 3)
                .strip() : new ObjectMapper().readTree(logged).get("formattedMessage").asText(),
                logged);
        String out = logged(format, "client sent Authorization: Bearer " + jwt);
        assertFalse(out.contains(jwt), out);
        assertTrue(out.contains("client sent Authorization: [redacted "), out);
    }

    @Test
    void aJsonLineStaysOneJsonObjectWithItsFields() throws Exception {
        String out = logged("json", "bad key " + KEY + " and \"quotes\"");

        JsonNode line = new ObjectMapper().readTree(out.lines()
                .filter(l -> l.contains("LogRedactionTest")).findFirst().orElseThrow());
        assertEquals("WARN", line.get("level").asText());
        assertTrue(line.get("formattedMessage").asText().startsWith("bad key [redacted "), out);
        assertTrue(line.get("formattedMessage").asText().endsWith(" and \"quotes\""), out);
    }

    @Test
    void aMessageWithoutSecretsIsLoggedAsItIs() throws Exception {
        String out = logged("json", "route openai ready on port 8080");

        assertTrue(out.contains("\"formattedMessage\":\"route openai ready on port 8080\""), out);
    }

    /** What Sluice's logging setup writes to standard output for one warning. */
    private static String logged(String format, String message) throws Exception {
        return logged(format, message, null, null);
    }

    /** The same, with an exception. */
    private static String logged(String format, String message, Throwable failure)
            throws Exception {
        return logged(format, message, failure, null);
    }

    /** The same, while the request of that id (or none) is being served. */
    private static String logged(String format, String message, Throwable failure,
            String requestId) throws Exception {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            LogSetup.configure(context, format);
            if (requestId != null) {
                context.getMDCAdapter().put("request_id", requestId);
            }
            context.getLogger(LogRedactionTest.class).warn("{}", message, failure);
        } finally {
            System.setOut(original);
            context.stop();
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
