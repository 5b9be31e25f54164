package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped {@code etc/access.properties}, used as the README says: it refuses to start until
 * its placeholder token hash is replaced, and then loads with the JWT secret set.
 */
class SampleAccessFileTest {

    private static final Path SAMPLE = Path.of("etc/access.properties");
    private static final String PLACEHOLDER = "0".repeat(64);
    /** A line as {@code make token NAME=backend} prints it: the SHA-256 of some token. */
    private static final String HASH =
            "3f2a1c9e8b7d6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877";
    private static final String SECRET = "a-secret-of-thirty-two-bytes-or-more-0123";

    @TempDir
    Path dir;

    @Test
    void thePlaceholderIsRefusedWithWhatToDoInstead() {
        ConfigException e = assertThrows(ConfigException.class, () -> Config.load(
                Map.of("SLUICE_ACCESS", SAMPLE.toString(), "SLUICE_JWT_SECRET", SECRET),
                new Properties()));

        assertEquals("etc/access.properties: client.backend.token-sha256 is the sample's "
                + "placeholder: replace the line with the one `make token NAME=backend` prints",
                e.getMessage());
    }

    @Test
    void anAllZeroHashIsRefusedInAnyAccessFile() throws IOException {
        Path file = dir.resolve("access.properties");
        Files.writeString(file, "client.web.token-sha256 = " + PLACEHOLDER + "\n");

        ConfigException e = assertThrows(ConfigException.class, () -> Config.load(
                Map.of("SLUICE_ACCESS", file.toString()), new Properties()));
        assertTrue(e.getMessage().endsWith("client.web.token-sha256 is the sample's placeholder: "
                + "replace the line with the one `make token NAME=web` prints"), e.getMessage());
    }

    @Test
    void withTheTokenLineReplacedAndTheSecretSetItLoads() throws IOException {
        String sample = Files.readString(SAMPLE);
        assertTrue(sample.contains(PLACEHOLDER), "the sample ships the placeholder");
        Path file = dir.resolve("access.properties");
        Files.writeString(file, sample.replace(PLACEHOLDER, HASH));

        Config config = Config.load(Map.of("SLUICE_ACCESS", file.toString(),
                "SLUICE_JWT_SECRET", SECRET), new Properties());

        assertEquals(1, config.access().tokens().size());
        assertEquals("backend", config.access().tokens().get(HASH).name());
        assertNotNull(config.access().jwt());
        assertTrue(config.describe().get("SLUICE_ACCESS (-Dsluice.access)")
                .startsWith("1 token client"), config.describe()::toString);
    }

    @Test
    void theSampleSaysInItsFirstLinesWhatItNeeds() throws IOException {
        String head = String.join("\n", Files.readAllLines(SAMPLE).subList(0, 12));

        assertTrue(head.contains("make token NAME=backend"), head);
        assertTrue(head.contains("SLUICE_JWT_SECRET"), head);
    }
}
