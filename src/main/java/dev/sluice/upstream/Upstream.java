package dev.sluice.upstream;

import dev.sluice.config.OutboundProxy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.net.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
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
    private final Duration connectTimeout;
    private final ProxyChooser proxies;
    /** For requests without a body, built when the first is sent (few routes have them). */
    private HttpClient bodiless;

    public Upstream(Duration connectTimeout) {
        this(connectTimeout, OutboundProxy.JVM);
    }

    /** Calls through {@code proxy}'s proxies, loopback always directly. */
    public Upstream(Duration connectTimeout, OutboundProxy proxy) {
        this.connectTimeout = connectTimeout;
        this.proxies = new ProxyChooser(proxy);
        // Building the client sets up TLS (the default trust store and its providers): a fifth
        // of start-up. It is built beside the rest of start-up; the first request waits for it.
        // It has no connect timeout of its own: the JDK keeps the timer of a connection's first
        // exchange for the connection's life, and with it that whole exchange (request, response,
        // buffers: some 10 KB) on every pooled connection. send() times the connect instead.
        this.client = new FutureTask<>(() -> builder().build());
        Thread.ofVirtual().name("sluice-upstream-start").start(client);
    }

    private HttpClient.Builder builder() {
        return HttpClient.newBuilder()
                .proxy(proxies)
                // Its default executor is a cached pool of platform threads, which grows with
                // open streams; virtual threads keep the OS thread count flat.
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .followRedirects(HttpClient.Redirect.NEVER);
    }

    /** The proxy a call to {@code uri} goes through, or null when it goes directly. */
    public Proxy proxyFor(URI uri) {
        return proxies.proxyFor(uri);
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
     * A request without a body gives send() nothing to time the connect by, so it goes through
     * a client with the JDK's own connect timeout, and the retention that comes with it.
     */
    private synchronized HttpClient bodiless() {
        if (bodiless == null) {
            bodiless = builder().connectTimeout(connectTimeout).build();
        }
        return bodiless;
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
            return await(bodiless().sendAsync(request.build(),
                    HttpResponse.BodyHandlers.ofInputStream()), null, responseTimeout);
        }
        Connected body = new Connected(HttpRequest.BodyPublishers.ofByteArray(json));
        request.header("Content-Type", "application/json").POST(body);
        return await(client().sendAsync(request.build(),
                HttpResponse.BodyHandlers.ofInputStream()), body.made, responseTimeout);
    }

    /**
     * The response, once its headers came, within {@code responseTimeout} of now; when
     * {@code connected} is given, it must complete (the connection made) within the connect
     * timeout, or the exchange is cancelled as the JDK would have.
     */
    private HttpResponse<InputStream> await(CompletableFuture<HttpResponse<InputStream>> answer,
            CompletableFuture<Void> connected, Duration responseTimeout)
            throws IOException, InterruptedException {
        long start = System.nanoTime();
        try {
            if (connected != null && connectTimeout.compareTo(responseTimeout) < 0) {
                try {
                    CompletableFuture.anyOf(connected, answer)
                            .get(connectTimeout.toNanos(), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    abandon(answer);
                    throw new HttpConnectTimeoutException("no connection within "
                            + connectTimeout.toMillis() + " ms");
                } catch (ExecutionException e) {
                    // the exchange failed before it had a connection: reported below
                }
            }
            long left = responseTimeout.toNanos() - (System.nanoTime() - start);
            return answer.get(Math.max(left, 0), TimeUnit.NANOSECONDS);
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

    /**
     * A request body that notes when the client starts sending it, which it does once it has a
     * connection (a pooled one at once, a new one when it is made): the end of the connect.
     */
    private static final class Connected implements HttpRequest.BodyPublisher {

        final CompletableFuture<Void> made = new CompletableFuture<>();
        private final HttpRequest.BodyPublisher body;

        Connected(HttpRequest.BodyPublisher body) {
            this.body = body;
        }

        @Override
        public long contentLength() {
            return body.contentLength();
        }

        @Override
        public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
            made.complete(null);
            body.subscribe(subscriber);
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
        List<HttpClient> clients;
        synchronized (this) {
            clients = bodiless == null ? List.of(client) : List.of(client, bodiless);
        }
        clients.forEach(HttpClient::shutdown);
        for (HttpClient each : clients) {
            try {
                if (!each.awaitTermination(Duration.ofSeconds(5))) {
                    each.shutdownNow();
                }
            } catch (InterruptedException e) {
                each.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
