package dev.sluice.integration;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Under Tomcat, Sluice's log says which settings file it read, and its stop lines are written
 * when Tomcat stops (SIGTERM, as systemd stops it), before logging itself stops.
 */
@Tag("integration")
class TomcatStopTest {

    @Test
    void theSettingsFileIsNamedAtStartAndTheStopIsLogged() throws Exception {
        Path settings = Workspace.fresh("tomcat-stop-settings").resolve("sluice.properties");
        Files.writeString(settings, "sluice.simulated-token-delay = 1ms\n");
        Tomcat tomcat = Tomcat.start("tomcat-stop", "", Map.of("sluice.config",
                settings.toString()), Map.of());
        String output;
        try {
            String started = tomcat.output();
            assertTrue(started.contains("SLUICE_CONFIG (-Dsluice.config) = " + settings
                    + " (the context parameter sluice.config)"), started);
        } finally {
            tomcat.close();
            output = tomcat.output();
        }
        assertTrue(output.contains("Stopping: 0 streams in flight may finish within 30s; new "
                + "requests get 503"), output);
        assertTrue(output.contains("Stopped after"), output);
    }
}
