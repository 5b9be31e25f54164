package dev.sluice.relay;

import dev.sluice.access.Admission;
import dev.sluice.access.Caller;
import dev.sluice.access.Quotas;
import dev.sluice.access.Refusal;
import dev.sluice.config.Config;
import dev.sluice.config.Operation;
import dev.sluice.config.Route;
import dev.sluice.dialect.Dialect;
import dev.sluice.dialect.Dialects;
import dev.sluice.observe.LogText;
import dev.sluice.observe.Metrics;
import dev.sluice.observe.Redaction;
import dev.sluice.observe.RequestIds;
import dev.sluice.observe.Transcript;
import dev.sluice.observe.Transcripts;
import dev.sluice.resume.ReplayLog;
import dev.sluice.resume.Resumable;
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
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One route's requests (the operations it relays under its prefix): forwards them to the route's
 * upstream with the route's key and policy, and relays the answer, a stream event by event or a
 * JSON body as is. Each request runs start to end on its own (virtual) thread; a stream started
 * by {@code POST <prefix>/streams} runs on a virtual thread of its own. Resuming and stopping
 * are {@link StreamsEndpoint}'s.
 */
public final class RelayServlet extends HttpServlet {

    private static final Logger LOG = LoggerFactory.getLogger(RelayServlet.class);
    /** Upstream headers worth passing on; never hop-by-hop, length, encoding or account headers. */
    private static final List<String> FORWARDED_HEADERS = List.of(
            "request-id", "openai-processing-ms", "openai-version", "retry-after");
    private static final Pattern RETRY_SECONDS = Pattern.compile("[0-9]{1,10}");
    private static final int MAX_ERROR_BYTES = 64 * 1024;
    private static final int MAX_JSON_BYTES = 32 << 20;

    private final Route route;
    private final Dialect dialect;
    private final Config config;
    private final Admission admission;
    private final Quotas quotas;
    private final Upstream upstream;
    private final Retry retry;
    private final Watchdog watchdog;
    private final StreamRelay relay;
    private final Redaction redaction;
    private final Metrics metrics;
    private final Transcripts transcripts;
    private final StreamsEndpoint streams;

    /** The collaborators are shared by every route; {@code config} gives limits and timeouts. */
    public RelayServlet(Route route, Config config, Admission admission, Quotas quotas,
            Upstream upstream, Retry retry, Watchdog watchdog, StreamRelay relay,
            Redaction redaction, Metrics metrics, Transcripts transcripts,
            StreamsEndpoint streams) {
        this.route = route;
        this.dialect = Dialects.of(route.dialect());
        this.config = config;
        this.admission = admission;
        this.quotas = quotas;
        this.upstream = upstream;
        this.retry = retry;
        this.watchdog = watchdog;
        this.relay = relay;
        this.redaction = redaction;
        this.metrics = metrics;
        this.transcripts = transcripts;
        this.streams = streams;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws IOException, ServletException {
        long started = System.nanoTime();
        String id = RequestIds.next();
        response.setHeader("X-Request-Id", id);
        MDC.put("request_id", id);
        try {
            String own = StreamsEndpoint.path(route, request);
            if (own != null && !own.equals(Route.STREAMS)) {
                streams.serve(request, response, route, dialect, own);
                return;
            }
            Caller caller = admission.admit(request, route);
            if (own != null) {
                start(request, response, caller);
                return;
            }
            URI target = UpstreamTarget.of(route, request, response);
            ClientRequest sent = ClientRequest.read(request, config.maxBodyBytes(), route.policy(),
                    dialect);
            if (sent.body() != null) {
                Admission.checkModel(caller, sent.model());
            }
            try (Quotas.Slot slot = quotas.enter(caller)) {
                relay(request, response, target, sent, caller, started);
            }
        } catch (Refusal refusal) {
            ClientRequest.refuse(request, response, refusal, dialect, config.maxBodyBytes());
            metrics.refused(route.name(), refusal.status(), refusal.type());
            LOG.info("{} {} refused: {}", route.name(), refusal.status(),
                    LogText.of(refusal.getMessage()));
        } finally {
            MDC.remove("request_id");
        }
    }

    /**
     * {@code POST <prefix>/streams}: opens the route's streaming operation with the body as the
     * chat endpoint takes it, answers 201 with the stream's id and a signed URL to read it by,
     * and relays the stream into its replay log on a thread of its own. An upstream that fails
     * before its stream begins is answered as on the chat endpoint.
     */
    private void start(HttpServletRequest request, HttpServletResponse response, Caller caller)
            throws Refusal, IOException {
        if (!"POST".equals(request.getMethod())) {
            response.setHeader("Allow", "POST");
            throw new Refusal(405, "invalid_request_error", request.getMethod() + " is not "
                    + "allowed on " + route.prefix() + Route.STREAMS + "; POST starts a stream");
        }
        Operation operation = route.streamingOperation();
        if (operation == null) {
            throw new Refusal(404, "not_found_error", "route " + route.name() + " relays no "
                    + "POST without placeholders, so " + route.prefix() + Route.STREAMS
                    + " has nothing to start");
        }
        URI target = UpstreamTarget.at(route, request, operation.path());
        ClientRequest sent = ClientRequest.read(request, config.maxBodyBytes(), route.policy(),
                dialect);
        Admission.checkModel(caller, sent.model());
        if (!sent.stream()) {
            throw new Refusal(400, "invalid_request_error", route.prefix() + Route.STREAMS
                    + " starts a stream: send \"stream\": true");
        }
        Quotas.Slot slot = quotas.enter(caller);
        boolean handedOn = false;
        try {
            HttpResponse<InputStream> answer = open(target, UpstreamTarget.headers(route, dialect,
                    request), sent);
            InputStream body = answer.body();
            try {
                int status = answer.statusCode();
                forwardHeaders(answer.headers(), response);
                if (status < 200 || status > 299) {
                    Refusal.sendJson(response, status, upstreamError(status, body,
                            answer.headers().firstValue("content-encoding").orElse(null)));
                    return;
                }
                if (!isEventStream(answer)) {
                    throw new Refusal(502, "upstream_error", "the upstream answered "
                            + route.prefix() + Route.STREAMS + " without an event stream");
                }
                Resumable stream = streams.open(route, caller, false);
                String encoding = answer.headers().firstValue("content-encoding").orElse(null);
                Transcript transcript = transcripts.start(route, dialect, sent.model());
                streams.started(request, response, route, stream);
                String requestId = MDC.get("request_id");
                Thread.ofVirtual().name("sluice-stream").start(() -> {
                    MDC.put("request_id", requestId);
                    try (slot; body) {
                        replay(stream, ClientStream.none(), false, body, encoding, sent, caller,
                                transcript);
                    } catch (IOException | RuntimeException e) {
                        LOG.warn("{} stream {} failed: {}", route.name(), stream.id(),
                                LogText.of(redaction.scrub(String.valueOf(e.getMessage()))));
                    } finally {
                        MDC.remove("request_id");
                    }
                });
                handedOn = true;
            } finally {
                if (!handedOn) {
                    body.close();
                }
            }
        } finally {
            if (!handedOn) {
                slot.close();
            }
        }
    }

    private void relay(HttpServletRequest request, HttpServletResponse response, URI target,
            ClientRequest sent, Caller caller, long started) throws Refusal, IOException {
        HttpResponse<InputStream> answer = open(target, UpstreamTarget.headers(route, dialect,
                request), sent);
        try (InputStream body = answer.body()) {
            int status = answer.statusCode();
            forwardHeaders(answer.headers(), response);
            String encoding = answer.headers().firstValue("content-encoding").orElse(null);
            if (status < 200 || status > 299) {
                Refusal.sendJson(response, status, upstreamError(status, body, encoding));
                LOG.info("{} {} upstream error in {} ms", route.name(), status,
                        millisSince(started));
            } else if (isEventStream(answer)) {
                stream(request, response, body, encoding, sent, caller);
            } else {
                whole(response, answer, body, encoding, sent, caller, started);
            }
        }
    }

    /**
     * The upstream headers worth passing on, scrubbed like its error bodies (a provider may echo
     * anything in them); a {@code Retry-After} that is neither seconds nor an HTTP date is dropped.
     */
    private void forwardHeaders(HttpHeaders headers, HttpServletResponse response) {
        for (String name : FORWARDED_HEADERS) {
            headers.firstValue(name).map(redaction::scrub)
                    .filter(value -> !"retry-after".equals(name) || isRetryAfter(value))
                    .ifPresent(value -> response.setHeader(name, value));
        }
        // The provider's own id, for its support desk; X-Request-Id is Sluice's.
        headers.firstValue("x-request-id").map(redaction::scrub)
                .ifPresent(value -> response.setHeader("X-Upstream-Request-Id", value));
    }

    /** RFC 9110 section 10.2.3: delay-seconds or an HTTP-date. */
    private static boolean isRetryAfter(String value) {
        if (RETRY_SECONDS.matcher(value).matches()) {
            return true;
        }
        try {
            DateTimeFormatter.RFC_1123_DATE_TIME.parse(value);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /**
     * The body for an upstream's error status: its own, scrubbed, or, when it cannot be read (an
     * encoding that does not decode, a connection that breaks, a body that stalls past the time
     * limits of an answer), one that says so.
     */
    private byte[] upstreamError(int status, InputStream body, String encoding) {
        try (Watch watch = watchdog.watch(null, body)) {
            try {
                byte[] error = Decoding.of(body, encoding).readNBytes(MAX_ERROR_BYTES);
                return dialect.upstreamErrorBody(status, error, redaction::scrub);
            } catch (IOException e) {
                Watch.Expiry why = watch.expiry();
                String detail = why != null ? why.message(config.timeouts())
                        : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                return dialect.errorBody(status, "upstream answered HTTP " + status + " with an "
                        + "error body that could not be read: " + redaction.scrub(detail),
                        "upstream_error");
            }
        }
    }

    /** Calls the upstream, retrying what failed before any byte of an answer. */
    private HttpResponse<InputStream> open(URI target, Map<String, String> headers,
            ClientRequest sent) throws Refusal {
        for (int attempt = 0; ; attempt++) {
            Duration wait;
            try {
                HttpResponse<InputStream> answer = upstream.send(target, headers,
                        sent.body(), sent.stream(), config.timeouts().response());
                metrics.upstreamAnswered(route.name(), answer.statusCode());
                wait = retry.after(attempt, answer);
                if (wait == null) {
                    return answer;
                }
                metrics.retried(route.name());
                answer.body().close();
                LOG.info("{} upstream answered {}; retrying in {} ms", route.name(),
                        answer.statusCode(), wait.toMillis());
            } catch (HttpConnectTimeoutException | ConnectException e) {
                wait = retry.afterConnectFailure(attempt);
                if (wait == null) {
                    throw unreachable(e);
                }
                metrics.retried(route.name());
                LOG.info("{} upstream unreachable; retrying in {} ms", route.name(),
                        wait.toMillis());
            } catch (HttpTimeoutException e) {
                throw new Refusal(504, "upstream_timeout", "upstream sent no response headers "
                        + "within " + config.timeouts().response().toMillis() + " ms");
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

    private void stream(HttpServletRequest request, HttpServletResponse response,
            InputStream body, String encoding, ClientRequest sent, Caller caller)
            throws IOException {
        boolean textOnly = wantsText(request);
        // Not committed until the first event is flushed: until then this can still become an
        // HTTP error (see StreamRelay).
        response.setStatus(200);
        response.setContentType(textOnly ? "text/plain; charset=utf-8"
                : "text/event-stream; charset=utf-8");
        response.setHeader("Cache-Control", "no-cache, no-transform");
        response.setHeader("X-Accel-Buffering", "no");
        Transcript transcript = transcripts.start(route, dialect, sent.model());
        // Plain text has no ids to resume by.
        if (!textOnly && (route.resumable() || StreamsEndpoint.asked(request))) {
            Resumable stream = streams.open(route, caller, true);
            response.setHeader(StreamsEndpoint.STREAM_ID, stream.id());
            AtomicReference<Resumable.Reader> reader = new AtomicReference<>();
            ClientStream client = new ClientStream(response,
                    () -> stream.detach(reader.get()));
            // A newer reader ends this client's response, on a thread of its own: the close
            // may wait for the relay thread's write to a slow client.
            reader.set(stream.attach(() -> Thread.ofVirtual().name("sluice-takeover")
                    .start(client::end)));
            try {
                replay(stream, client, true, body, encoding, sent, caller, transcript);
            } finally {
                client.release();
            }
            return;
        }
        ClientStream client = new ClientStream(response, textOnly);
        try (Watch watch = watchdog.watch(client, body, route.drain())) {
            relay.run(body, encoding, new StreamRelay.Stream(dialect, client, watch, transcript,
                    sent.usageRequested(), route.drain(), null));
            charge(caller, transcript); // while the stream still counts as open: then it is done
        }
        transcripts.ended(transcript);
    }

    /**
     * Relays a resumable stream into its replay log, and to {@code client} while it is there,
     * until the upstream ends, the stream is stopped or nobody has read it for the grace
     * period; the log is closed on every way out. One transcript, however many readers came.
     *
     * @param attached the client was there from the start: it gets the priming id first
     */
    private void replay(Resumable stream, ClientStream client, boolean attached,
            InputStream body, String encoding, ClientRequest sent, Caller caller,
            Transcript transcript) throws IOException {
        ReplayWriter writer = new ReplayWriter(stream, client, config.resume().memoryBytes());
        ReplayLog.Ending ending = ReplayLog.Ending.FAILED;
        try (Watch watch = watchdog.watch(attached ? client : null, body, route.drain())) {
            stream.bind(() -> watch.expire(Watch.Expiry.ABANDONED),
                    () -> watch.expire(Watch.Expiry.STOPPED));
            if (attached) {
                writer.prime();
            }
            relay.run(body, encoding, new StreamRelay.Stream(dialect, client, watch, transcript,
                    sent.usageRequested(), false, writer));
            charge(caller, transcript);
            ending = ending(watch.expiry(), transcript.outcome());
        } finally {
            stream.close(ending);
        }
        transcripts.ended(transcript);
    }

    private static ReplayLog.Ending ending(Watch.Expiry why, Transcript.Outcome outcome) {
        if (why == Watch.Expiry.STOPPED) {
            return ReplayLog.Ending.STOPPED;
        }
        if (why == Watch.Expiry.ABANDONED) {
            return ReplayLog.Ending.ABANDONED;
        }
        return outcome == Transcript.Outcome.DONE || outcome == Transcript.Outcome.UPSTREAM_CLOSED
                ? ReplayLog.Ending.DONE : ReplayLog.Ending.FAILED;
    }

    /** Adds the usage the upstream reported to the caller's day, whatever the answer's path. */
    private void charge(Caller caller, Transcript transcript) {
        Dialect.Usage usage = transcript.usage();
        quotas.spent(caller, (usage.input() == null ? 0 : usage.input())
                + (usage.output() == null ? 0 : usage.output()));
    }

    /** Plain text when the client asks for it and not for an event stream. */
    private static boolean wantsText(HttpServletRequest request) {
        String accept = request.getHeader("Accept");
        return accept != null && accept.contains("text/plain")
                && !accept.contains("text/event-stream");
    }

    /**
     * A non-streamed answer: read whole under the same watch, so it too fails cleanly; charged
     * and logged with its usage as a stream is.
     */
    private void whole(HttpServletResponse response, HttpResponse<InputStream> answer,
            InputStream body, String encoding, ClientRequest sent, Caller caller, long started)
            throws IOException {
        Transcript transcript = transcripts.start(route, dialect, sent.model());
        byte[] bytes;
        try (Watch watch = watchdog.watch(null, body)) {
            try {
                bytes = Decoding.of(body, encoding).readNBytes(MAX_JSON_BYTES + 1);
            } catch (IOException e) {
                Watch.Expiry why = watch.expiry();
                String message = why != null ? why.message(config.timeouts())
                        : "upstream answer failed: "
                                + redaction.scrub(String.valueOf(e.getMessage()));
                int status = why != null ? why.status : 502;
                Refusal.sendJson(response, status, dialect.errorBody(status, message,
                        why != null ? why.type : "upstream_error"));
                LOG.warn("{} json failed after {} ms: {}", route.name(), millisSince(started),
                        LogText.of(message));
                ended(transcript, why != null ? why.outcome()
                        : Transcript.Outcome.UPSTREAM_FAILED, status, message);
                return;
            }
        }
        if (bytes.length > MAX_JSON_BYTES) {
            String message = "upstream answer is larger than " + MAX_JSON_BYTES + " bytes";
            Refusal.sendJson(response, 502, dialect.errorBody(502, message, "upstream_error"));
            ended(transcript, Transcript.Outcome.UPSTREAM_FAILED, 502, message);
            return;
        }
        transcript.answered(bytes);
        charge(caller, transcript); // before the answer goes out: its tokens are spent already
        response.setStatus(answer.statusCode());
        response.setContentType(answer.headers().firstValue("content-type")
                .map(redaction::scrub).orElse("application/json"));
        response.setContentLength(bytes.length);
        try {
            response.getOutputStream().write(bytes);
            LOG.info("{} {} json in {} ms", route.name(), answer.statusCode(),
                    millisSince(started));
            ended(transcript, Transcript.Outcome.DONE, answer.statusCode(), null);
        } catch (IOException e) {
            LOG.info("{} {} json: client went away after {} ms", route.name(),
                    answer.statusCode(), millisSince(started));
            ended(transcript, Transcript.Outcome.CLIENT_CLOSED, answer.statusCode(), null);
        }
    }

    private void ended(Transcript transcript, Transcript.Outcome outcome, int status,
            String failure) {
        transcript.end(outcome, status, failure);
        transcripts.ended(transcript);
    }

    private static boolean isEventStream(HttpResponse<?> answer) {
        return answer.headers().firstValue("content-type")
                .map(type -> type.toLowerCase(Locale.ROOT).startsWith("text/event-stream"))
                .orElse(false);
    }

    private static long millisSince(long started) {
        return (System.nanoTime() - started) / 1_000_000;
    }
}
