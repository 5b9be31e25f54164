package dev.sluice.integration;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Where the integration tests find the built WAR and keep their servers' files: under target/. */
final class Workspace {

    private static final Path ROOT = Path.of(System.getProperty("sluice.it.work", "target/it"))
            .toAbsolutePath();

    private Workspace() {}

    /** The WAR as {@code make build} writes it. */
    static Path war() {
        Path war = Path.of(System.getProperty("sluice.it.war", "target/sluice.war"));
        if (!Files.isRegularFile(war)) {
            throw new AssertionError(war + " is missing: build it first (make build)");
        }
        return war.toAbsolutePath();
    }

    /** An empty directory of that name, emptied if a run before left it. */
    static Path fresh(String name) throws IOException {
        Path dir = ROOT.resolve(name);
        if (Files.exists(dir)) {
            try (Stream<Path> tree = Files.walk(dir)) {
                for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
        return Files.createDirectories(dir);
    }

    /** A file or directory the build unpacked under the work directory, e.g. jetty-home. */
    static Path unpacked(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new AssertionError("system property " + property + " is not set: run the "
                    + "integration tests with make test-integration");
        }
        return Path.of(value).toAbsolutePath();
    }
}
