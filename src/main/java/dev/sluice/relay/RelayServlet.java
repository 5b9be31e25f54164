package dev.sluice.relay;

import dev.sluice.config.Config;
import dev.sluice.dialect.OpenAiDialect;
import dev.sluice.upstream.Upstream;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/chat/completions}: forwards the client's body to the upstream with the server's
 * key and relays the answer, a stream event by event or a JSON body as is. Each request runs
 * start to end on its own (virtual) thread with blocking I/O.
 */
public final class RelayServlet extends HttpServlet {

    private static final Logger LOG = LoggerFactory.getLogger(RelayServlet.class);
    /** Upstream headers worth passing on; never hop-by-hop, length, encoding or account headers. */
    private static final List<String> FORWARDED_HEADERS = List.of(
            "x-request-id", "openai-processing-ms", "openai-version", "retry-after");
    private static final int MAX_ERROR_BYTES = 64 * 1024;
    private static final int MAX_JSON_BYTES = 32 << 20;

    private final Config config;
    private final Upstream upstream;
    private final OpenAiDialect dialect = new OpenAiDialect();
    private final Redaction redaction;
    private final Retry retry;
    private final Watchdog watchdog;
    private final StreamRelay relay;

    public RelayServlet(Config config) {
        this.config = config;
        this.upstream = new Upstream(config.timeouts().connect());
        this.redaction = new Redaction(config.apiKey());
        this.retry = new Retry(config.retries());
        this.watchdog = new Watchdog(config.timeouts());
        this.relay = new StreamRelay(dialect, redaction, config.timeouts(), config.maxLineBytes());
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws IOException, ServletException {
        if (!"POST".equals(request.getMethod())) {
            response.setHeader("Allow", "POST");
            new Refusal(405, "invalid_request_error", request.getMethod() + " is not allowed; "
                    + "send POST with a JSON chat completion request").send(response, dialect);
            return;
        }
        super.service(request, response);
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        long started = System.nanoTime();
        try {
            ChatRequest chat = ChatRequest.read(request, config.maxBodyBytes());
            HttpResponse<InputStream> answer = open(request, chat);
            try (InputStream body = answer.body()) {
                int status = answer.statusCode();
                forwardHeaders(answer, response);
                String encoding = answer.headers().firstValue("content-encoding").orElse(null);
                if (status < 200 || status > 299) {
                    byte[] error = Decoding.of(body, encoding).readNBytes(MAX_ERROR_BYTES);
                    Refusal.sendJson(response, status,
                            dialect.upstreamErrorBody(status, error, redaction::scrub));
                    LOG.info("chat {} upstream error in {} ms", status, millisSince(started));
                } else if (isEventStream(answer)) {
                    stream(response, body, encoding, started);
                } else {
                    whole(response, answer, body, encoding, started);
                }
            }
        } catch (Refusal refusal) {
            refusal.send(response, dialect);
            LOG.info("chat {} refused: {}", refusal.status(), refusal.getMessage());
        }
    }

    /** Calls the upstream, retrying what failed before any byte of an answer. */
    private HttpResponse<InputStream> open(HttpServletRequest request, ChatRequest chat)
            throws Refusal {
        URI base = config.simulated() ? simulatedBase(request) : config.upstreamUrl();
        URI target = URI.create(base + "/chat/completions");
        for (int attempt = 0; ; attempt++) {
            Duration wait;
            try {
                HttpResponse<InputStream> answer = upstream.post(target, config.apiKey(),
                        chat.body(), chat.stream(), config.timeouts().response());
                wait = retry.after(attempt, answer);
                if (wait == null) {
                    return answer;
                }
                close(answer.body());
                LOG.info("upstream answered {}; retrying in {} ms", answer.statusCode(),
                        wait.toMillis());
            } catch (HttpConnectTimeoutException | ConnectException e) {
                wait = retry.afterConnectFailure(attempt);
                if (wait == null) {
                    throw unreachable(e);
                }
                LOG.info("upstream unreachable; retrying in {} ms", wait.toMillis());
            } catch (HttpTimeoutException e) {
                throw new Refusal(504, "upstream_timeout", "upstream sent no response headers within "
                        + config.timeouts().response().toMillis() + " ms");
            } catch (IOException e) {
                throw new Refusal(502, "upstream_unreachable", "upstream request failed: "
                        + redaction.scrub(String.valueOf(e.getMessage())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Refusal(503, "server_shutting_down", "request interrupted");
            }
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Refusal(503, "server_shutting_down", "request interrupted");
            }
        }
    }

    private Refusal unreachable(IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            return new Refusal(504, "upstream_timeout", "upstream did not accept the connection in "
                    + config.timeouts().connect().toMillis() + " ms");
        }
        return new Refusal(502, "upstream_unreachable", "upstream refused the connection");
    }

    private void stream(HttpServletResponse response, InputStream body, String encoding,
            long started) throws IOException {
        // Not committed until the first event is flushed: until then this can still become an
        // HTTP error (see StreamRelay).
        response.setStatus(200);
        response.setContentType("text/event-stream; charset=utf-8");
        response.setHeader("Cache-Control", "no-cache, no-transform");
        response.setHeader("X-Accel-Buffering", "no");
        ClientStream client = new ClientStream(response);
        StreamRelay.Result result;
        try (Watch watch = watchdog.watch(client, body)) {
            result = relay.run(body, encoding, client, watch);
        }
        String outcome = result.outcome().name().toLowerCase(Locale.ROOT).replace('_', ' ');
        if (result.failure() != null) {
            LOG.warn("chat stream {} after {} events in {} ms: {}", outcome, result.events(),
                    millisSince(started), result.failure());
        } else {
            LOG.info("chat stream {} after {} events in {} ms", outcome, result.events(),
                    millisSince(started));
        }
    }

    /** A non-streamed answer: read whole under the same watch, so it too fails cleanly. */
    private void whole(HttpServletResponse response, HttpResponse<InputStream> answer,
            InputStream body, String encoding, long started) throws IOException {
        byte[] bytes;
        try (Watch watch = watchdog.watch(null, body)) {
            try {
                bytes = Decoding.of(body, encoding).readNBytes(MAX_JSON_BYTES + 1);
            } catch (IOException e) {
                Watch.Expiry why = watch.expiry();
                String message = why != null ? why.message(config.timeouts())
                        : "upstream answer failed: " + redaction.scrub(String.valueOf(e.getMessage()));
                Refusal.sendJson(response, why != null ? why.status : 502, dialect.errorBody(
                        message, why != null ? why.type : "upstream_error"));
                LOG.warn("chat json failed after {} ms: {}", millisSince(started), message);
                return;
            }
        }
        if (bytes.length > MAX_JSON_BYTES) {
            Refusal.sendJson(response, 502, dialect.errorBody("upstream answer is larger than "
                    + MAX_JSON_BYTES + " bytes", "upstream_error"));
            return;
        }
        response.setStatus(answer.statusCode());
        response.setContentType(answer.headers().firstValue("content-type")
                .orElse("application/json"));
        response.setContentLength(bytes.length);
        try {
            response.getOutputStream().write(bytes);
            LOG.info("chat {} json in {} ms", answer.statusCode(), millisSince(started));
        } catch (IOException e) {
            LOG.info("chat {} json: client went away after {} ms", answer.statusCode(),
                    millisSince(started));
        }
    }

    /** The built-in simulated upstream, reached over loopback HTTP like any other upstream. */
    private static URI simulatedBase(HttpServletRequest request) {
        String host = request.getLocalAddr();
        if (host.indexOf(':') >= 0) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + request.getLocalPort()
                + request.getContextPath() + "/simulated/v1");
    }

    private static boolean isEventStream(HttpResponse<?> answer) {
        return answer.headers().firstValue("content-type")
                .map(type -> type.toLowerCase(Locale.ROOT).startsWith("text/event-stream"))
                .orElse(false);
    }

    private static void forwardHeaders(HttpResponse<?> answer, HttpServletResponse response) {
        for (String name : FORWARDED_HEADERS) {
            answer.headers().firstValue(name).ifPresent(value -> response.setHeader(name, value));
        }
    }

    private static void close(InputStream body) {
        try {
            body.close();
        } catch (IOException e) {
            // the exchange is abandoned either way
        }
    }

    private static long millisSince(long started) {
        return (System.nanoTime() - started) / 1_000_000;
    }

    int openStreams() {
        return watchdog.openStreams();
    }

    /** Lets streams in flight finish for the grace period, then ends the rest. */
    CompletableFuture<Void> shutdown() {
        return watchdog.shutdown(config.shutdownGrace());
    }

    @Override
    public void destroy() {
        shutdown().join();
        watchdog.close();
        upstream.close();
    }
}
