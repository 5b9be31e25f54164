package dev.sluice.observe;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.testing.SluiceProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a started Sluice logs with: its own setup, in either format, or the user's file. */
class LoggingAtStartTest {

    private static final String OPENAI_KEY = "sk-proj-Zq8xLw3vNp5tRb7yKd2mHs9Lq";

    @Test
    void jsonFromTheEnvironmentGivesOneJsonObjectPerLine() throws Exception {
        try (SluiceProcess sluice = SluiceProcess.start(Map.of("PATH", System.getenv("PATH"),
                "SLUICE_LOG_FORMAT", "json", "OPENAI_API_KEY", OPENAI_KEY))) {
            // JSON writes a URL's slashes as \/: the plain text awaitListening looks for is not
            // there, which is the point.
            sluice.await(Pattern.compile(Pattern.quote(
                    "\"formattedMessage\":\"Sluice is listening on http:\\/\\/127.0.0.1:")), 60);
            String output = sluice.output();
            assertTrue(output.lines().allMatch(line -> line.startsWith("{\"")), output);
            assertFalse(output.contains(OPENAI_KEY), output);
        }
    }

    @Test
    void aConfigurationFileNamedAtStartReplacesSluicesSetup(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("logback.xml");
        Files.writeString(file, """
                <configuration>
                  <appender name="mine" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>MINE %msg%n</pattern></encoder>
                  </appender>
                  <root level="INFO"><appender-ref ref="mine"/></root>
                </configuration>
                """, StandardCharsets.UTF_8);
        try (SluiceProcess sluice = SluiceProcess.start(Map.of("PATH", System.getenv("PATH")),
                List.of("-Dlogback.configurationFile=" + file))) {
            sluice.awaitListening();
            String output = sluice.output();
            assertTrue(output.lines().allMatch(line -> line.startsWith("MINE ")), output);
        }
    }
}
