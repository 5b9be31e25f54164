package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Settings files read as {@code Properties} reads them, except that a key given twice stops
 * start-up with the file, the key and both lines, in each of the three files Sluice reads.
 */
class PropertiesFileTest {

    private static final String HASH =
            "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";

    @TempDir
    Path dir;

    private static Properties read(String text) {
        return PropertiesFile.read("SLUICE_TEST (-Dsluice.test)", "t.properties",
                () -> new StringReader(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "a = 1\nb=2\nc:3\nd 4\ne\n",
        "  a = 1\n\tb = 2\n\f c = 3\n",
        "# a = 1\n! b = 2\n  # c = 3\nd = 4\n",
        "# a comment that ends in a backslash \\\ne = 5\n",
        "a = one \\\n    two \\\n\tthree\nb = 2\n",
        "a = ends in two backslashes \\\\\nb = 2\n",
        "a = ends in three backslashes \\\\\\\n  b = 2\n",
        "a = 1 \\\n# not a comment here\nb = 2\n",
        "a = 1 \\\n\nb = 2\n",
        "a = 1\r\nb = 2\r\nc = 3 \\\r\n  go on\r\n",
        "a = 1\rb = 2\r",
        "\\u0061\\u0062 = \\u00e9t\\u00e9\nk\\=ey = v\\:al\\\\ue\nsp\\ ace = x\n",
        "a =\nb\n= no key\n",
        "last = goes on \\",
        "",
        "\n\n   \n",
    })
    void readsEveryLineAsPropertiesDoes(String text) throws IOException {
        Properties expected = new Properties();
        expected.load(new StringReader(text));
        assertEquals(expected, read(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "a = 1\na = 2\n|a|1|2",
        "a = 1\n# a = 2\n\n  a : 3\n|a|1|4",
        "a = 1\nb = x \\\n  y\na 3\n|a|1|4",
        "x = 0\na = 1\n\\u0061 = 2\n|a|2|3",
        "a = 1 \\\n  a = 2\nb = 3\na\\\n  = 4\n|a|1|4",
        "client.web.token-sha256 = 1\nclient.web.token\\-sha256 = 2\n|client.web.token-sha256|1|2",
    })
    void aKeyGivenTwiceIsRefusedWithBothLines(String table) {
        String[] parts = table.split("\\|");
        ConfigException e = assertThrows(ConfigException.class, () -> read(parts[0]));
        assertEquals("t.properties: " + parts[1] + " is set twice, on line " + parts[2]
                + " and on line " + parts[3] + "; keep one", e.getMessage());
    }

    @Test
    void aMalformedEscapeNamesItsLine() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> read("a = 1\nb = \\u00zz\n"));
        assertTrue(e.getMessage().startsWith("t.properties: line 2: Malformed"), e.getMessage());
    }

    @Test
    void aDuplicateInTheRouteTableStopsStartUp() throws IOException {
        Path file = write("routes.properties", """
                route.x.prefix = /x
                route.x.url = https://h
                route.x.models = gpt-small
                # later, another hand:
                route.x.models = gpt-large
                """);
        assertRefused(Map.of("SLUICE_ROUTES", file.toString()),
                file + ": route.x.models is set twice, on line 3 and on line 5; keep one");
    }

    @Test
    void aDuplicateInTheAccessFileStopsStartUp() throws IOException {
        Path file = write("access.properties", "client.web.token-sha256 = " + HASH + "\n"
                + "client.web.routes = openai\n"
                + "client.web.token-sha256 = " + HASH.replace('5', '6') + "\n");
        assertRefused(Map.of("SLUICE_ACCESS", file.toString()), file
                + ": client.web.token-sha256 is set twice, on line 1 and on line 3; keep one");
    }

    @Test
    void aDuplicateInTheSettingsFileStopsStartUp() throws IOException {
        Path file = write("sluice.properties", "sluice.port = 8080\nsluice.retries = 1\n"
                + "sluice.port = 9090\n");
        assertRefused(Map.of("SLUICE_CONFIG", file.toString()),
                file + ": sluice.port is set twice, on line 1 and on line 3; keep one");
    }

    @Test
    void aFileThatCannotBeReadNamesTheSettingAndTheFile() {
        String missing = dir.resolve("nowhere.properties").toString();
        ConfigException e = assertThrows(ConfigException.class, () -> Config.load(
                Map.of("SLUICE_ROUTES", missing), new Properties()));
        assertTrue(e.getMessage().startsWith("SLUICE_ROUTES (-Dsluice.routes): cannot read "
                + missing + ": java.nio.file.NoSuchFileException"), e.getMessage());
    }

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    private static void assertRefused(Map<String, String> env, String message) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Config.load(env, new Properties()));
        assertEquals(message, e.getMessage());
    }
}
