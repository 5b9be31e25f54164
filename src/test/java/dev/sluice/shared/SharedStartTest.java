package dev.sluice.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.testing.FreePort;
import dev.sluice.testing.RedisServer;
import dev.sluice.testing.SluiceProcess;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Sluice does not start when it cannot count as configured: a Redis that does not answer, or one
 * that refuses its password, is one plain line naming the setting, and never the password.
 */
class SharedStartTest {

    private static final String PASSWORD = "wrong-pw-Ls93kQz71Vb";

    private static String lastLine(Map<String, String> settings) throws Exception {
        Map<String, String> env = new HashMap<>(settings);
        env.put("PATH", System.getenv("PATH"));
        try (SluiceProcess sluice = SluiceProcess.start(env)) {
            assertEquals(2, sluice.awaitExit(60), sluice.output());
            String output = sluice.output();
            assertFalse(output.contains(PASSWORD), output);
            assertFalse(output.contains("Exception"), "a plain line, no stack trace: " + output);
            List<String> lines = output.lines().toList();
            return lines.getLast();
        }
    }

    @Test
    void anUnreachableRedisIsOneLineAndNoStart() throws Exception {
        RedisServer.requireInstalled();
        int port = FreePort.now();
        String line = lastLine(Map.of("SLUICE_REDIS_URL", "redis://:" + PASSWORD
                + "@127.0.0.1:" + port));
        assertTrue(line.startsWith("sluice: cannot reach Redis at redis://127.0.0.1:" + port
                + " (SLUICE_REDIS_URL): "), line);
    }

    @Test
    void aWrongPasswordIsOneLineThatDoesNotPrintIt() throws Exception {
        try (RedisServer redis = RedisServer.start("--requirepass", "the-right-one-8Hd2")) {
            String line = lastLine(Map.of("SLUICE_REDIS_URL", redis.url(),
                    "SLUICE_REDIS_PASSWORD", PASSWORD));
            assertTrue(line.startsWith("sluice: Redis at redis://127.0.0.1:" + redis.port()
                    + " refused Sluice's credentials (SLUICE_REDIS_URL, SLUICE_REDIS_PASSWORD)"),
                    line);
        }
    }
}
