package dev.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Secret;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Test;

/** The embedded server's wiring: virtual threads, the demo page, health and info. */
class SluiceServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void requestsRunOnVirtualThreads() throws Exception {
        Server server = SluiceServer.createServer(RunningSluice.config(null, null));
        server.getDescendant(ServletContextHandler.class).addServlet(
                new ServletHolder(new HttpServlet() {
                    @Override
                    protected void doGet(HttpServletRequest req, HttpServletResponse resp)
                            throws IOException {
                        resp.getWriter().print(Thread.currentThread().isVirtual());
                    }
                }), "/probe");
        server.start();
        try (TestClient client = new TestClient()) {
            URI probe = URI.create(SluiceServer.url(server)).resolve("/probe");
            assertEquals("true", client.get(probe).getContentAsString());
        } finally {
            server.stop();
        }
    }

    @Test
    void servesTheDemoPageHealthAndInfo() throws Exception {
        try (RunningSluice sluice = new RunningSluice(RunningSluice.config(null, null));
                TestClient client = new TestClient()) {
            ContentResponse page = client.get(sluice.uri("/"));
            assertEquals(200, page.getStatus());
            assertTrue(page.getMediaType().startsWith("text/html"));
            assertTrue(page.getContentAsString().contains("Sluice"));
            assertEquals(200, client.get(sluice.uri("/app.js")).getStatus());
            assertEquals(200, client.get(sluice.uri("/sse.js")).getStatus());

            ContentResponse health = client.get(sluice.uri("/healthz"));
            assertEquals(200, health.getStatus());
            assertEquals("{\"status\":\"ok\"}", health.getContentAsString());

            var info = JSON.readTree(client.get(sluice.uri("/sluice/info")).getContent());
            assertTrue(info.path("simulated").asBoolean());
            assertEquals("gpt-test", info.path("model").asText());
            assertFalse(page.getHeaders().contains("Server"), "the server does not announce itself");
        }
    }

    @Test
    void servesThePageFilesAloneWithTypesAndRevalidation() throws Exception {
        try (RunningSluice sluice = new RunningSluice(RunningSluice.config(null, null));
                TestClient client = new TestClient()) {
            ContentResponse script = client.get(sluice.uri("/app.js"));
            assertEquals("text/javascript;charset=utf-8", script.getHeaders().get("Content-Type"));
            assertEquals("text/css;charset=utf-8",
                    client.get(sluice.uri("/style.css")).getHeaders().get("Content-Type"));
            assertEquals("image/svg+xml",
                    client.get(sluice.uri("/favicon.svg")).getHeaders().get("Content-Type"));
            assertEquals(client.get(sluice.uri("/")).getContentAsString(),
                    client.get(sluice.uri("/index.html")).getContentAsString());

            String etag = script.getHeaders().get("ETag");
            ContentResponse again = client.getWith(sluice.uri("/app.js"), "If-None-Match", etag);
            assertEquals(304, again.getStatus());
            assertEquals(0, again.getContent().length);
            assertEquals(200, client.getWith(sluice.uri("/app.js"), "If-None-Match", "\"old\"")
                    .getStatus());

            // Only the page's own files: nothing else on the class path, nothing missing.
            for (String path : new String[] {"/nope.js", "/META-INF/MANIFEST.MF",
                    "/dev/sluice/resume/open.lua", "/dev/sluice/server/SluiceServer.class",
                    "/webapp/index.html", "/.app.js"}) {
                ContentResponse refused = client.get(sluice.uri(path));
                assertEquals(404, refused.getStatus(), path);
                assertTrue(refused.getMediaType().startsWith("application/json"), path);
            }
        }
    }

    @Test
    void infoSaysNotSimulatedAndNeverNamesTheUpstream() throws Exception {
        URI upstream = URI.create("http://127.0.0.1:9/v1");
        try (RunningSluice sluice = new RunningSluice(
                        RunningSluice.config(upstream, new Secret(RunningSluice.KEY)));
                TestClient client = new TestClient()) {
            ContentResponse info = client.get(sluice.uri("/sluice/info"));
            assertFalse(JSON.readTree(info.getContent()).path("simulated").asBoolean(true));
            assertFalse(info.getContentAsString().contains("127.0.0.1:9"));
            assertEquals(404, client.get(sluice.uri("/simulated/v1/chat/completions")).getStatus(),
                    "the simulated upstream is mounted only when it is used");
        }
    }

    @Test
    void unknownApiPathAndWrongMethodAnswerJson() throws Exception {
        try (RunningSluice sluice = new RunningSluice(RunningSluice.config(null, null));
                TestClient client = new TestClient()) {
            ContentResponse put = client.put(sluice.uri("/v1/chat/completions"), "{}");
            assertEquals(405, put.getStatus());
            assertEquals("POST", put.getHeaders().get("Allow"));
            assertTrue(JSON.readTree(put.getContent()).path("error").path("message").asText()
                    .contains("PUT is not allowed"));
            ContentResponse unknown = client.post(sluice.uri("/v1/embeddings"), "{}");
            assertEquals(404, unknown.getStatus());
            assertTrue(JSON.readTree(unknown.getContent()).path("error").path("message").asText()
                    .contains("relays only POST /v1/chat/completions"));
        }
    }
}
