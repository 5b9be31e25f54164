package dev.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The shipped systemd unit is one systemd accepts, and it agrees with how Sluice exits. */
class SystemdUnitTest {

    private static final Path UNIT = Path.of("etc/systemd/sluice.service");
    private static final Path VERIFY = Path.of("/usr/bin/systemd-analyze");

    @Test
    void systemdAcceptsTheUnitWithoutAWarning() throws Exception {
        assumeTrue(Files.isExecutable(VERIFY), "systemd-analyze is not installed");
        Process verify = new ProcessBuilder(VERIFY.toString(), "verify", UNIT.toString())
                .redirectErrorStream(true).start();
        String said = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(verify.waitFor(60, TimeUnit.SECONDS), "systemd-analyze did not end");
        assertEquals(0, verify.exitValue(), said);
        assertEquals("", said.strip());
    }

    @Test
    void itRestartsOnFailureButNotOnARefusedSettingReloadsOnHangUpAndStopsOnSigterm() throws IOException {
        List<String> lines = Files.readAllLines(UNIT);
        // Sluice exits 2 when it refuses a setting (StartupRefusalTest) and 143 after SIGTERM.
        assertTrue(lines.contains("Restart=on-failure"), lines::toString);
        assertTrue(lines.contains("RestartPreventExitStatus=2"), lines::toString);
        assertTrue(lines.contains("SuccessExitStatus=143"), lines::toString);
        // The keys are read from a file Sluice reads again on SIGHUP (ReloadTest), not the
        // environment, which a running process cannot be given anew.
        assertTrue(lines.contains("Environment=SLUICE_KEYS_FILE=/etc/sluice/keys.env"),
                lines::toString);
        assertTrue(lines.contains("ExecReload=/bin/kill -HUP $MAINPID"), lines::toString);
        assertTrue(lines.contains("User=sluice"), lines::toString);
    }
}
