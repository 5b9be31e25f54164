package dev.sluice.integration;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's Tomcat 10.1 (package {@code tomcat10}) run from a base directory of its own: Debian's
 * default configuration, a connector on a free loopback port with a given number of worker
 * threads, and {@code sluice.war} deployed as built, at {@code /sluice}.
 */
final class Tomcat implements AutoCloseable {

    static final Path HOME = Path.of(System.getProperty("sluice.it.catalina-home",
            "/usr/share/tomcat10"));
    private static final List<String> DEBIAN_CONF = List.of("catalina.properties",
            "context.xml", "logging.properties", "web.xml");
    private static final Pattern PORT = Pattern.compile(
            "Starting ProtocolHandler \\[\"http-nio-127\\.0\\.0\\.1-auto-\\d+-(\\d+)\"]");

    private final ServerProcess process;
    private final URI sluice;

    private Tomcat(ServerProcess process, URI sluice) {
        this.process = process;
        this.sluice = sluice;
    }

    /**
     * Starts Tomcat in a new base directory {@code name} with {@code env} as its environment.
     *
     * @param connector extra attributes of the HTTP connector, e.g. {@code maxThreads="10"}
     * @param contextParameters the context's parameters, as a deployer sets them
     */
    static Tomcat start(String name, String connector, Map<String, String> contextParameters,
            Map<String, String> env) throws Exception {
        if (!Files.isExecutable(HOME.resolve("bin/catalina.sh"))) {
            throw new AssertionError("Tomcat 10.1 is not installed in " + HOME
                    + " (Debian: apt-get install tomcat10)");
        }
        Path base = Workspace.fresh(name);
        for (String dir : List.of("conf/Catalina/localhost", "logs", "temp", "webapps", "work")) {
            Files.createDirectories(base.resolve(dir));
        }
        for (String file : DEBIAN_CONF) {
            Files.copy(HOME.resolve("etc").resolve(file), base.resolve("conf").resolve(file));
        }
        // No shutdown port: the test stops Tomcat with SIGTERM, as systemd does.
        Files.writeString(base.resolve("conf/server.xml"), """
                <?xml version="1.0" encoding="UTF-8"?>
                <Server port="-1" shutdown="SHUTDOWN">
                  <Service name="Catalina">
                    <Connector address="127.0.0.1" port="0" protocol="HTTP/1.1" %s/>
                    <Engine name="Catalina" defaultHost="localhost">
                      <Host name="localhost" appBase="webapps" autoDeploy="false"/>
                    </Engine>
                  </Service>
                </Server>
                """.formatted(connector));
        Files.writeString(base.resolve("conf/Catalina/localhost/sluice.xml"),
                context(contextParameters));
        Files.copy(Workspace.war(), base.resolve("webapps/sluice.war"));
        Map<String, String> environment = new HashMap<>(env);
        environment.put("CATALINA_HOME", HOME.toString());
        environment.put("CATALINA_BASE", base.toString());
        environment.put("CATALINA_TMPDIR", base.resolve("temp").toString());
        environment.put("JAVA_HOME", System.getProperty("java.home"));
        ServerProcess process = ServerProcess.start(
                List.of(HOME.resolve("bin/catalina.sh").toString(), "run"), base, environment,
                base.resolve("logs/console.log"));
        try {
            Matcher port = process.await(PORT, Duration.ofSeconds(90));
            process.await(Pattern.compile("Server startup in"), Duration.ofSeconds(30));
            return new Tomcat(process, URI.create("http://127.0.0.1:" + port.group(1)
                    + "/sluice/"));
        } catch (AssertionError | InterruptedException e) {
            process.close();
            throw e;
        }
    }

    private static String context(Map<String, String> parameters) {
        StringBuilder xml = new StringBuilder("<Context>\n");
        parameters.forEach((name, value) -> xml.append("  <Parameter name=\"").append(name)
                .append("\" value=\"").append(value).append("\" override=\"false\"/>\n"));
        return xml.append("</Context>\n").toString();
    }

    /** An absolute URI under the deployed WAR, e.g. {@code v1/chat/completions}. */
    URI uri(String path) {
        return sluice.resolve(path);
    }

    /** Everything Tomcat printed so far, Sluice's log among it. */
    String output() throws java.io.IOException {
        return process.output();
    }

    @Override
    public void close() {
        process.close();
    }
}
