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
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Locale;
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

    private final Config config;
    private final Upstream upstream;
    private final OpenAiDialect dialect = new OpenAiDialect();
    private final Redaction redaction;
    private final StreamRelay relay;

    public RelayServlet(Config config) {
        this.config = config;
        this.upstream = new Upstream(config.connectTimeout());
        this.redaction = new Redaction(config.apiKey());
        this.relay = new StreamRelay(dialect, redaction, config.maxLineBytes());
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
                if (status < 200 || status > 299) {
                    byte[] error = dialect.upstreamErrorBody(
                            status, body.readNBytes(MAX_ERROR_BYTES), redaction::scrub);
                    Refusal.sendJson(response, status, error);
                    LOG.info("chat {} upstream error in {} ms", status, millisSince(started));
                } else if (isEventStream(answer)) {
                    stream(response, status, body, started);
                } else {
                    response.setStatus(status);
                    response.setContentType(answer.headers().firstValue("content-type")
                            .orElse("application/json"));
                    copy(body, response, status, started);
                }
            }
        } catch (Refusal refusal) {
            refusal.send(response, dialect);
            LOG.info("chat {} refused: {}", refusal.status(), refusal.getMessage());
        }
    }

    private HttpResponse<InputStream> open(HttpServletRequest request, ChatRequest chat)
            throws Refusal {
        URI base = config.simulated() ? simulatedBase(request) : config.upstreamUrl();
        URI target = URI.create(base + "/chat/completions");
        try {
            return upstream.post(target, config.apiKey(), chat.body(), chat.stream());
        } catch (HttpConnectTimeoutException e) {
            throw new Refusal(504, "upstream_timeout", "upstream did not accept the connection in "
                    + config.connectTimeout().toMillis() + " ms");
        } catch (ConnectException e) {
            throw new Refusal(502, "upstream_unreachable", "upstream refused the connection");
        } catch (IOException e) {
            throw new Refusal(502, "upstream_unreachable",
                    "upstream request failed: " + redaction.scrub(String.valueOf(e.getMessage())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Refusal(503, "server_shutting_down", "request interrupted");
        }
    }

    private void stream(HttpServletResponse response, int status, InputStream body, long started)
            throws IOException {
        response.setStatus(status);
        response.setContentType("text/event-stream; charset=utf-8");
        response.setHeader("Cache-Control", "no-cache, no-transform");
        response.setHeader("X-Accel-Buffering", "no");
        OutputStream out = response.getOutputStream();
        StreamRelay.Result result = relay.run(body, out);
        if (result.outcome() == StreamRelay.Outcome.UPSTREAM_FAILED) {
            LOG.warn("chat {} stream {} after {} events in {} ms: {}", status,
                    outcome(result), result.events(), millisSince(started), result.failure());
        } else {
            LOG.info("chat {} stream {} after {} events in {} ms", status,
                    outcome(result), result.events(), millisSince(started));
        }
    }

    private static void copy(InputStream body, HttpServletResponse response, int status,
            long started) {
        try {
            body.transferTo(response.getOutputStream());
            LOG.info("chat {} json in {} ms", status, millisSince(started));
        } catch (IOException e) {
            // Headers are out, so nothing better can be said; the truncated body tells the client.
            LOG.info("chat {} json cut short after {} ms: {}", status, millisSince(started),
                    e.getClass().getSimpleName());
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

    private static String outcome(StreamRelay.Result result) {
        return result.outcome().name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    private static long millisSince(long started) {
        return (System.nanoTime() - started) / 1_000_000;
    }

    @Override
    public void destroy() {
        upstream.close();
    }
}
