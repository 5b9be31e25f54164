package dev.sluice.testing;

import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseItem;
import dev.sluice.sse.SseReader;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.StringRequestContent;

/** A real HTTP client (Jetty's) for Sluice, reading streams incrementally as a browser would. */
public final class TestClient implements AutoCloseable {

    private final HttpClient jetty = new HttpClient();

    public TestClient() throws Exception {
        jetty.start();
    }

    /** POSTs JSON and returns the whole response. */
    public ContentResponse post(URI uri, String json, String... headerPairs) throws Exception {
        return request(uri, json, headerPairs).timeout(30, TimeUnit.SECONDS).send();
    }

    /** POSTs a body of the given content type and returns the whole response. */
    public ContentResponse postAs(URI uri, String contentType, String body, String... headerPairs)
            throws Exception {
        Request request = jetty.POST(uri).body(new StringRequestContent(contentType, body));
        for (int i = 0; i < headerPairs.length; i += 2) {
            String name = headerPairs[i];
            String value = headerPairs[i + 1];
            request.headers(headers -> headers.put(name, value));
        }
        return request.timeout(30, TimeUnit.SECONDS).send();
    }

    /** PUTs JSON (a method Sluice refuses) and returns the whole response. */
    public ContentResponse put(URI uri, String json) throws Exception {
        return jetty.newRequest(uri).method("PUT")
                .body(new StringRequestContent("application/json", json))
                .timeout(30, TimeUnit.SECONDS).send();
    }

    public ContentResponse get(URI uri) throws Exception {
        return jetty.newRequest(uri).timeout(30, TimeUnit.SECONDS).send();
    }

    /** GETs with headers and returns the whole response. */
    public ContentResponse getWith(URI uri, String... headerPairs) throws Exception {
        Request request = jetty.newRequest(uri);
        headers(request, headerPairs);
        return request.timeout(30, TimeUnit.SECONDS).send();
    }

    /** Sends an OPTIONS request (a CORS preflight) and returns the whole response. */
    public ContentResponse options(URI uri, String... headerPairs) throws Exception {
        Request request = jetty.newRequest(uri).method("OPTIONS");
        headers(request, headerPairs);
        return request.timeout(30, TimeUnit.SECONDS).send();
    }

    /** Sends a DELETE and returns the whole response. */
    public ContentResponse delete(URI uri, String... headerPairs) throws Exception {
        Request request = jetty.newRequest(uri).method("DELETE");
        headers(request, headerPairs);
        return request.timeout(30, TimeUnit.SECONDS).send();
    }

    /** GETs {@code uri} and returns once the response headers arrive, the body streaming. */
    public Stream streamGet(URI uri, String... headerPairs) throws Exception {
        Request request = jetty.newRequest(uri);
        headers(request, headerPairs);
        return open(request);
    }

    /** POSTs JSON and returns once the response headers arrive, with the body still streaming. */
    public Stream stream(URI uri, String json, String... headerPairs) throws Exception {
        return open(request(uri, json, headerPairs));
    }

    private static void headers(Request request, String... headerPairs) {
        for (int i = 0; i < headerPairs.length; i += 2) {
            String name = headerPairs[i];
            String value = headerPairs[i + 1];
            request.headers(headers -> headers.put(name, value));
        }
    }

    private Stream open(Request request) throws Exception {
        InputStreamResponseListener listener = new InputStreamResponseListener();
        request.send(listener);
        Response response = listener.get(30, TimeUnit.SECONDS);
        return new Stream(request, response, listener.getInputStream());
    }

    private Request request(URI uri, String json, String... headerPairs) {
        Request request = jetty.POST(uri).body(new StringRequestContent("application/json", json));
        for (int i = 0; i < headerPairs.length; i += 2) {
            String name = headerPairs[i];
            String value = headerPairs[i + 1];
            request.headers(headers -> headers.put(name, value));
        }
        return request;
    }

    @Override
    public void close() throws Exception {
        jetty.stop();
    }

    /** A response body being read as an event stream. */
    public static final class Stream implements AutoCloseable {
        private final Request request;
        private final Response response;
        private final InputStream body;
        private final SseReader events;

        Stream(Request request, Response response, InputStream body) {
            this.request = request;
            this.response = response;
            this.body = body;
            this.events = new SseReader(body);
        }

        public Response response() {
            return response;
        }

        /** The next event or comment, or null at the end of the body. */
        public SseItem next() throws IOException {
            return events.next();
        }

        /** The next event, skipping comments; fails at the end of the body. */
        public SseEvent nextEvent() throws IOException {
            for (SseItem item = next(); item != null; item = next()) {
                if (item instanceof SseEvent event) {
                    return event;
                }
            }
            throw new AssertionError("the stream ended before the next event");
        }

        /** Everything up to the end of the body. */
        public List<SseItem> rest() throws IOException {
            List<SseItem> items = new ArrayList<>();
            for (SseItem item = next(); item != null; item = next()) {
                items.add(item);
            }
            return items;
        }

        /**
         * The next block as raw text, up to and including its blank line: read byte by byte,
         * before any other read of this stream, so nothing is buffered past it.
         */
        public String rawBlock() throws IOException {
            java.io.ByteArrayOutputStream block = new java.io.ByteArrayOutputStream();
            int previous = -1;
            for (int b = body.read(); b >= 0; b = body.read()) {
                block.write(b);
                if (b == '\n' && previous == '\n') {
                    break;
                }
                previous = b;
            }
            return block.toString(java.nio.charset.StandardCharsets.UTF_8);
        }

        /**
         * The body's next bytes as raw text, up to and including the first {@code end}: read
         * byte by byte, before any other read of this stream but {@link #rawBlock}.
         */
        public String rawUntil(String end) throws IOException {
            byte[] wanted = end.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            byte[] read = new byte[256];
            int n = 0;
            for (int b = body.read(); b >= 0; b = body.read()) {
                if (n == read.length) {
                    read = java.util.Arrays.copyOf(read, 2 * n);
                }
                read[n++] = (byte) b;
                if (n >= wanted.length && java.util.Arrays.equals(read, n - wanted.length, n,
                        wanted, 0, wanted.length)) {
                    break;
                }
            }
            return new String(read, 0, n, java.nio.charset.StandardCharsets.UTF_8);
        }

        /** Reads the rest of the body as raw bytes. */
        public byte[] restBytes() throws IOException {
            return body.readAllBytes();
        }

        /** Drops the connection mid-stream, as a closed browser tab does. */
        public void abort() {
            request.abort(new IOException("client left"));
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }
}
