package dev.sluice.bench;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.Executors;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;

/**
 * The floor of Sluice's shape, run as its own process: Jetty as Sluice sets it up, a blocking
 * servlet on a virtual thread per request that opens the upstream with the JDK HttpClient and
 * {@code ofInputStream()} as Sluice does, then copies its bytes to the client, flushing after
 * every read, with no parsing. Sluice's CPU less this one's is what Sluice itself costs.
 */
public final class BytePump {

    private BytePump() {}

    /** Arguments: the port to serve on, the pacing upstream's port. */
    public static void main(String[] args) throws Exception {
        // As Sluice's main sets it: 4 KiB read buffers per upstream connection, not 16 KiB.
        if (System.getProperty("jdk.httpclient.bufsize") == null) {
            System.setProperty("jdk.httpclient.bufsize", "4096");
        }
        int port = Integer.parseInt(args[0]);
        URI upstream = URI.create("http://127.0.0.1:" + Integer.parseInt(args[1]));
        // One client for the process, on virtual threads, as Sluice's Upstream builds it.
        HttpClient client = HttpClient.newBuilder()
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        ServletContextHandler context = new ServletContextHandler("/");
        context.addServlet(new ServletHolder("pump", new Pump(client, upstream)), "/v1/*");
        context.addServlet(new ServletHolder("health", new Health()), "/healthz");
        PeerServer.serve(PeerServer.create(port, context, http -> { }));
    }

    /** Relays a POST's answer byte for byte: read, write, flush, until the upstream ends. */
    private static final class Pump extends HttpServlet {

        /** As many bytes as Sluice's line scanner reads at once. */
        private static final int READ_BYTES = 2048;

        private final transient HttpClient client;
        private final URI upstream;

        Pump(HttpClient client, URI upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response)
                throws IOException {
            byte[] body = request.getInputStream().readAllBytes();
            HttpRequest call = HttpRequest.newBuilder(upstream.resolve(request.getRequestURI()))
                    .version(HttpClient.Version.HTTP_1_1)
                    .header("Accept", "text/event-stream")
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build();
            HttpResponse<InputStream> answer;
            try {
                answer = client.send(call, HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                response.sendError(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
                return;
            }
            // Closing the body early, when the client has gone, cancels the exchange.
            try (InputStream in = answer.body()) {
                response.setStatus(answer.statusCode());
                answer.headers().firstValue("Content-Type").ifPresent(response::setContentType);
                OutputStream out = response.getOutputStream();
                byte[] buffer = new byte[READ_BYTES];
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            }
        }
    }

    /** {@code GET /healthz}: 200 once the server is up, for the benchmark's start-up check. */
    static final class Health extends HttpServlet {

        @Override
        protected void doGet(HttpServletRequest request, HttpServletResponse response) {
            response.setStatus(HttpServletResponse.SC_OK);
        }
    }
}
