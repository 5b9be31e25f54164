package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The README's settings table, under "Configuration", lists every setting Sluice reads and no
 * other, each with the system property it derives: a setting added, renamed or dropped in the
 * code without the table fails here.
 */
class ReadmeSettingsTest {

    private static List<String[]> rows() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("\n## Configuration\n");
        int end = readme.indexOf("\n## ", start + 1);
        assertTrue(start >= 0 && end > start, "the README has a Configuration section");
        List<String[]> rows = new ArrayList<>();
        for (String line : readme.substring(start, end).split("\n")) {
            if (line.startsWith("| `")) {
                String[] cells = line.split("\\|");
                rows.add(new String[] {cells[1].strip().replace("`", ""),
                        cells[2].strip().replace("`", "")});
            }
        }
        return rows;
    }

    @Test
    void theTableNamesEverySettingAndNoOther() throws IOException {
        Set<String> listed = new TreeSet<>();
        for (String[] row : rows()) {
            if (row[0].startsWith("SLUICE_")) {
                assertTrue(listed.add(row[0]), row[0] + " is in the table twice");
            }
        }
        assertEquals(Config.settingNames(), listed);
    }

    @Test
    void eachRowGivesTheSystemPropertyItsVariableDerives() throws IOException {
        for (String[] row : rows()) {
            if (row[0].equals(Config.LOG_FORMAT)) {
                // Read by the logging set-up before Config, by its variable's own name.
                assertTrue(row[1].contains("-D" + Config.LOG_FORMAT), row[1]);
            } else {
                assertEquals(Settings.propertyOf(row[0]), row[1], row[0]);
            }
        }
    }

    @Test
    void theProviderVariablesInTheTableAreThoseTheBuiltInRoutesName() throws IOException {
        String routes = Files.readString(Path.of("etc/routes.properties"));
        for (String[] row : rows()) {
            if (!row[0].startsWith("SLUICE_")) {
                assertTrue(routes.matches("(?s).*\\.(key|url)-env = " + row[0] + "\\n.*"),
                        row[0] + " is named by no built-in route");
            }
        }
    }
}
