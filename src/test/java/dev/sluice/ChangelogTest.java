package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** CHANGELOG.md's newest entry is the version that pom.xml builds. */
class ChangelogTest {

    @Test
    void theNewestEntryIsThePomsVersion() throws IOException {
        Matcher version = Pattern.compile("<artifactId>sluice</artifactId>\\s*<version>([^<]+)"
                + "</version>").matcher(Files.readString(Path.of("pom.xml")));
        assertTrue(version.find(), "pom.xml names its version");
        String release = version.group(1).replace("-SNAPSHOT", "");
        Matcher newest = Pattern.compile("(?m)^## (\\S+)").matcher(
                Files.readString(Path.of("CHANGELOG.md")));
        assertTrue(newest.find(), "CHANGELOG.md has an entry");
        assertTrue(newest.group(1).equals(release), "CHANGELOG.md's newest entry is "
                + newest.group(1) + ", pom.xml builds " + version.group(1));
    }
}
