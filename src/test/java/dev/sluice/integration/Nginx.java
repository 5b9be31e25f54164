package dev.sluice.integration;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Debian's nginx in front of Sluice, configured by {@code etc/nginx/sluice.conf} (or, for three
 * instances, {@code sluice-instances.conf}) with only its addresses changed, inside an
 * {@code nginx.conf} whose prefix, pid file and temporary files are all under target/ and whose
 * logs go to its output. The surrounding {@code http} block turns gzip on for event streams, as
 * an eager site configuration might, so that the snippet must turn it off.
 */
final class Nginx implements AutoCloseable {

    private static final Path BINARY = Path.of(System.getProperty("sluice.it.nginx",
            "/usr/sbin/nginx"));
    private static final Path SNIPPET = Path.of("etc/nginx/sluice.conf");
    private static final Path INSTANCES = Path.of("etc/nginx/sluice-instances.conf");
    private static final String SLUICE_ADDRESS = "server 127.0.0.1:8080;";
    private static final String LISTEN = "listen 80;";
    private static final String ACCESS_LOG = "/var/log/nginx/access.log";

    private final ServerProcess process;
    private final int port;

    private Nginx(ServerProcess process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts nginx in a new directory {@code name}, proxying to Sluice on {@code sluicePort}. */
    static Nginx start(String name, int sluicePort) throws Exception {
        int port = freePort();
        String snippet = Files.readString(SNIPPET);
        snippet = replaceOnce(SNIPPET, snippet, SLUICE_ADDRESS,
                "server 127.0.0.1:" + sluicePort + ";");
        snippet = replaceOnce(SNIPPET, snippet, ACCESS_LOG, "/dev/stderr");
        return start(name, port, replaceOnce(SNIPPET, snippet, LISTEN,
                "listen 127.0.0.1:" + port + ";"));
    }

    /**
     * Starts nginx configured by {@code etc/nginx/sluice-instances.conf}, proxying round-robin
     * to the three Sluice instances on {@code sluicePorts}.
     */
    static Nginx startInstances(String name, List<Integer> sluicePorts) throws Exception {
        int port = freePort();
        String snippet = Files.readString(INSTANCES);
        for (int i = 0; i < 3; i++) {
            snippet = replaceOnce(INSTANCES, snippet, "server 10.0.0.1" + (i + 1) + ":8080;",
                    "server 127.0.0.1:" + sluicePorts.get(i) + ";");
        }
        snippet = replaceOnce(INSTANCES, snippet, ACCESS_LOG, "/dev/stderr");
        return start(name, port, replaceOnce(INSTANCES, snippet, LISTEN,
                "listen 127.0.0.1:" + port + ";"));
    }

    private static Nginx start(String name, int port, String site) throws Exception {
        if (!Files.isExecutable(BINARY)) {
            throw new AssertionError("nginx is not installed at " + BINARY
                    + " (Debian: apt-get install nginx)");
        }
        Path dir = Workspace.fresh(name);
        Files.createDirectories(dir.resolve("temp"));
        Files.writeString(dir.resolve("sluice.conf"), site);
        Path temp = dir.resolve("temp");
        Files.writeString(dir.resolve("nginx.conf"), """
                daemon off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log stderr notice;
                events {
                    worker_connections 256;
                }
                http {
                    access_log /dev/stderr;
                    client_body_temp_path %2$s/client_body;
                    proxy_temp_path %2$s/proxy;
                    fastcgi_temp_path %2$s/fastcgi;
                    uwsgi_temp_path %2$s/uwsgi;
                    scgi_temp_path %2$s/scgi;
                    gzip on;
                    gzip_min_length 1;
                    gzip_types text/event-stream text/plain application/json;
                    include %1$s/sluice.conf;
                }
                """.formatted(dir, temp));
        ServerProcess process = ServerProcess.start(List.of(BINARY.toString(), "-p",
                dir + "/", "-c", dir.resolve("nginx.conf").toString(), "-e", "stderr"), dir,
                Map.of(), dir.resolve("nginx.log"));
        try {
            // The master binds its sockets before it starts the workers.
            process.await(Pattern.compile("start worker process"), Duration.ofSeconds(30));
            return new Nginx(process, port);
        } catch (AssertionError | InterruptedException e) {
            process.close();
            throw e;
        }
    }

    private static String replaceOnce(Path file, String text, String line, String replacement) {
        int at = text.indexOf(line);
        if (at < 0 || text.indexOf(line, at + 1) >= 0) {
            throw new AssertionError(file + " must contain '" + line + "' exactly once");
        }
        return text.replace(line, replacement);
    }

    /** A port free right now; nginx cannot pick one itself and report it. */
    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Waits for the next line of nginx's output (error and access log) with {@code text}. */
    String awaitLine(String text, Duration limit) throws InterruptedException {
        return process.await(Pattern.compile(".*" + Pattern.quote(text) + ".*"), limit).group();
    }

    /** An absolute URI on nginx, e.g. {@code /v1/chat/completions}. */
    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port).resolve(path);
    }

    @Override
    public void close() {
        process.close();
    }
}
