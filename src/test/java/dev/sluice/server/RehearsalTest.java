package dev.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.SluiceProcess;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The rehearsal that the start-up cache's training run streams through Sluice: every simulated
 * route's calls answered and read whole, and the training run rehearses before it stops.
 */
class RehearsalTest {

    @Test
    void everyCallOfEveryRouteIsAnswered() throws Exception {
        try (RunningSluice sluice = new RunningSluice(RunningSluice.config(null, null))) {
            Rehearsal.Rehearsed rehearsed = Rehearsal.run(sluice.uri("/"),
                    sluice.config().routes(), Duration.ofMillis(200));

            assertTrue(rehearsed.calls() >= 32, "each client calls at least once: " + rehearsed);
            assertEquals(0, rehearsed.failed(), rehearsed.toString());
            sluice.assertNoStreamLeftOpen();
        }
    }

    @Test
    void theTrainingRunRehearsesThenStops() throws Exception {
        try (SluiceProcess training = SluiceProcess.start(Map.of("PATH", System.getenv("PATH")),
                List.of("-Dsluice.start-only=true", "-Dsluice.rehearsal-seconds=1"))) {
            Matcher rehearsed = training.await(
                    Pattern.compile("Rehearsed (\\d+) calls \\((\\d+) failed\\)"), 60);

            assertTrue(Integer.parseInt(rehearsed.group(1)) >= 32, training.output());
            assertEquals("0", rehearsed.group(2), training.output());
            assertEquals(0, training.awaitExit(60), training.output());
        }
    }
}
