package dev.sluice.integration;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A standalone Jetty 12 distribution ({@code jetty-home}) run from a base directory of its own,
 * made as its documentation says ({@code start.jar --add-modules=...}), with a connector on a
 * free loopback port and {@code sluice.war} deployed as built, at {@code /sluice}.
 */
final class Jetty implements AutoCloseable {

    private static final Pattern PORT = Pattern.compile(
            "Started ServerConnector@\\S+\\{HTTP/1\\.1, .*}\\{127\\.0\\.0\\.1:(\\d+)}");

    private final ServerProcess process;
    private final URI sluice;

    private Jetty(ServerProcess process, URI sluice) {
        this.process = process;
        this.sluice = sluice;
    }

    /** Starts Jetty in a new base directory {@code name} with the modules and environment. */
    static Jetty start(String name, List<String> modules, Map<String, String> env)
            throws Exception {
        Path home = Workspace.unpacked("sluice.it.jetty-home");
        Path base = Workspace.fresh(name);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String startJar = home.resolve("start.jar").toString();
        ServerProcess.run(List.of(java, "-jar", startJar,
                "--add-modules=" + String.join(",", modules)), base, base.resolve("modules.log"));
        Files.createDirectories(base.resolve("work")); // the WAR unpacks here, not in /tmp
        Files.copy(Workspace.war(), base.resolve("webapps/sluice.war"));
        List<String> command = new ArrayList<>(List.of(java, "-jar", startJar,
                "jetty.http.host=127.0.0.1", "jetty.http.port=0"));
        ServerProcess process = ServerProcess.start(command, base, env, base.resolve("jetty.log"));
        try {
            Matcher port = process.await(PORT, Duration.ofSeconds(90));
            process.await(Pattern.compile("Started oejs\\.Server@"), Duration.ofSeconds(30));
            return new Jetty(process, URI.create("http://127.0.0.1:" + port.group(1)
                    + "/sluice/"));
        } catch (AssertionError | InterruptedException e) {
            process.close();
            throw e;
        }
    }

    /** An absolute URI under the deployed WAR, e.g. {@code v1/chat/completions}. */
    URI uri(String path) {
        return sluice.resolve(path);
    }

    @Override
    public void close() {
        process.close();
    }
}
