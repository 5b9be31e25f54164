package dev.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar's {@code main} as a process of its own: a setting it refuses, or an address it cannot
 * listen on, ends it with status 2 and one plain line that says why, with no stack trace and
 * never a key.
 */
class StartupRefusalTest {

    private static final String KEY = "sk-test-Zq8xR2vL9mW4nT7pK3jH5bF1";

    @TempDir
    Path dir;

    @Test
    void aBadValueIsOneLine() throws Exception {
        assertRefused(Map.of("SLUICE_PORT", "nope"), "sluice: SLUICE_PORT (-Dsluice.port) must be "
                + "a whole number from 0 to 65535, got 'nope'");
    }

    @Test
    void aPortInUseIsOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertRefused(Map.of("SLUICE_PORT", Integer.toString(port)), "sluice: cannot "
                    + "listen on 127.0.0.1:" + port + " (SLUICE_HOST, SLUICE_PORT): Address "
                    + "already in use");
        }
    }

    @Test
    void theShippedAccessSampleSaysWhatToReplace() throws Exception {
        assertRefused(Map.of("SLUICE_ACCESS", Path.of("etc/access.properties").toAbsolutePath()
                .toString(), "SLUICE_JWT_SECRET", "a-secret-of-thirty-two-bytes-or-more-0123"),
                "is the sample's placeholder: replace the line with the one `make token "
                        + "NAME=backend` prints");
    }

    @Test
    void aNegativeLimitNamesItsSetting() throws Exception {
        Path access = dir.resolve("access.properties");
        Files.writeString(access, "anonymous.client = guest\nclient.guest.max-streams = -3\n");
        assertRefused(Map.of("SLUICE_ACCESS", access.toString()), "client.guest.max-streams must "
                + "be a whole number, 0 or more (0: no limit), got '-3'");
    }

    @Test
    void aKeyFileThatIsNoKeyIsOneLine() throws Exception {
        Path pem = dir.resolve("key.pem");
        Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n");
        Path access = dir.resolve("access.properties");
        Files.writeString(access, "jwt.public-key = " + pem + "\njwt.client = users\n"
                + "client.users.max-streams = 1\n");
        assertRefused(Map.of("SLUICE_ACCESS", access.toString()), "sluice: jwt: ");
    }

    @Test
    void aMisspeltSettingIsOneLineWithTheClosestName() throws Exception {
        assertRefused(Map.of("SLUICE_HEARTBEET", "5s"), "sluice: the environment variable "
                + "SLUICE_HEARTBEET is not a setting of Sluice; did you mean SLUICE_HEARTBEAT?");
    }

    @Test
    void anAccessFileThatAdmitsNobodyIsOneLine() throws Exception {
        Path access = dir.resolve("access.properties");
        Files.writeString(access, "# every client still to come\n");
        assertRefused(Map.of("SLUICE_ACCESS", access.toString()), "admits nobody");
    }

    /**
     * Runs Sluice with {@code env} (and a provider key) in place of this process's settings;
     * it must exit with 2, its last line containing {@code expected}.
     */
    private static void assertRefused(Map<String, String> env, String expected) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(java.toString(), "-Dsluice.start-only=true",
                "-cp", System.getProperty("java.class.path"), SluiceServer.class.getName())
                .redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("SLUICE_")
                || name.startsWith("OPENAI_") || name.startsWith("ANTHROPIC_")
                || name.startsWith("JAVA_TOOL") || name.startsWith("JDK_JAVA"));
        builder.environment().put("OPENAI_API_KEY", KEY);
        builder.environment().putAll(env);
        Process process = builder.start();
        String out;
        try {
            process.getOutputStream().close();
            out = read(process);
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "Sluice did not end: " + out);
        } finally {
            process.destroyForcibly();
        }
        assertEquals(2, process.exitValue(), out);
        List<String> lines = out.lines().toList();
        assertFalse(lines.isEmpty(), "Sluice said nothing");
        assertTrue(lines.getLast().startsWith("sluice: ") && lines.getLast().contains(expected),
                out);
        assertFalse(out.contains("\tat ") || out.contains("Exception in thread"), out);
        assertFalse(out.contains(KEY), out);
    }

    private static String read(Process process) throws IOException {
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
