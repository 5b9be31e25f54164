package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An access file that would admit nobody, and a token pasted where its hash belongs, stop
 * start-up with a line that says what to do, and never shows the token.
 */
class AccessFileRefusalsTest {

    private static final String TOKEN = "slc_Q2hhbmdlLXRoaXMtdG9rZW4tYmVmb3JlLXVzZQ";

    @TempDir
    Path dir;

    private String refusal(String content) throws IOException {
        Path file = dir.resolve("access.properties");
        Files.writeString(file, content);
        return assertThrows(ConfigException.class, () -> Config.load(
                Map.of("SLUICE_ACCESS", file.toString()), new Properties())).getMessage();
    }

    @Test
    void anEmptyFileAdmitsNobodyAndIsRefused() throws IOException {
        assertEquals(dir.resolve("access.properties") + " (SLUICE_ACCESS) admits nobody: it "
                + "names no client with a client.NAME.token-sha256, no jwt.* and no "
                + "anonymous.client; add one (make token NAME=web prints a line) or unset "
                + "SLUICE_ACCESS", refusal(""));
    }

    @Test
    void aFileOfCommentsAndLimitsOnlyAdmitsNobodyAndIsRefused() throws IOException {
        assertTrue(refusal("# clients come later\n! and so do their tokens\n").contains(
                "admits nobody"));
        assertTrue(refusal("trusted-proxies = 127.0.0.1\nclient.web.max-streams = 4\n")
                .contains("admits nobody"));
    }

    @Test
    void aTokenPastedInPlaceOfItsHashIsRefusedWithoutShowingIt() throws IOException {
        String said = refusal("client.web.token-sha256 = " + TOKEN + "\n");

        assertTrue(said.endsWith("client.web.token-sha256 is not 64 hex digits (it has "
                + TOKEN.length() + " characters; a token pasted in place of its hash? Put the "
                + "hash that `make token NAME=web` prints)"), said);
        assertFalse(said.contains(TOKEN), said);
        assertFalse(said.toLowerCase(Locale.ROOT).contains(TOKEN.toLowerCase(Locale.ROOT)),
                said);
        assertFalse(said.contains(TOKEN.substring(4, 16)), said);
    }
}
