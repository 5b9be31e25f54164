package dev.sluice.upstream;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one shared JDK {@link HttpClient} that calls providers. Thread-safe.
 *
 * <p>Responses are read as an {@link InputStream}; closing it before the end cancels the exchange,
 * which is how a client that leaves stops the provider generating. No request timeout is set:
 * {@code HttpRequest.timeout()} would also bound reading the body on newer JDKs and cut long
 * streams, so the wait for response headers has its own timer here and stream timers belong to
 * the relay.
 */
public final class Upstream implements AutoCloseable {

    private static final String USER_AGENT = "Sluice/0.1";

    private final FutureTask<HttpClient> client;

    public Upstream(Duration connectTimeout) {
        // Building the client sets up TLS (the default trust store and its providers): a fifth
        // of start-up. It is built beside the rest of start-up; the first request waits for it.
        this.client = new FutureTask<>(() -> HttpClient.newBuilder()
                // Its default executor is a cached pool of platform threads, which grows with
                // open streams; virtual threads keep the OS thread count flat.
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build());
        Thread.ofVirtual().name("sluice-upstream-start").start(client);
    }

    private HttpClient client() throws InterruptedException {
        try {
            return client.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("the upstream HTTP client could not be built",
                    e.getCause());
        }
    }

    /**
     * Sends a request and returns as soon as the response headers arrive.
     *
     * @param json the body of a POST, or null for a GET
     * @param headers sent as they are: the credential, the route's extra headers and the few
     *     client headers the relay passes on
     * @throws HttpTimeoutException when no response headers came within {@code responseTimeout}
     */
    public HttpResponse<InputStream> send(URI uri, Map<String, String> headers, byte[] json,
            boolean stream, Duration responseTimeout) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                // h2c upgrade on plain http confuses some local servers; TLS negotiates h2 itself.
                .version("https".equals(uri.getScheme())
                        ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
                .header("Accept", stream ? "text/event-stream" : "application/json")
                .header("User-Agent", USER_AGENT);
        headers.forEach(request::setHeader);
        if (json == null) {
            request.GET();
        } else {
            request.header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(json));
        }
        CompletableFuture<HttpResponse<InputStream>> answer =
                client().sendAsync(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        try {
            return answer.get(responseTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            abandon(answer);
            throw new HttpTimeoutException("no response headers within "
                    + responseTimeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            abandon(answer);
            throw e;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        }
    }

    /** Cancels an exchange nobody waits for; one that completed anyway has its body closed. */
    private static void abandon(CompletableFuture<HttpResponse<InputStream>> answer) {
        if (!answer.cancel(true)) {
            answer.thenAccept(response -> {
                try {
                    response.body().close();
                } catch (IOException e) {
                    // closing is all that was wanted
                }
            });
        }
    }

    /** Lets exchanges still open finish for a moment, then cuts them: stopping never hangs. */
    @Override
    public void close() {
        HttpClient client;
        try {
            client = client();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        client.shutdown();
        try {
            if (!client.awaitTermination(Duration.ofSeconds(5))) {
                client.shutdownNow();
            }
        } catch (InterruptedException e) {
            client.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
