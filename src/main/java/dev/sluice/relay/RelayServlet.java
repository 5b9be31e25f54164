package dev.sluice.relay;

import dev.sluice.access.Admission;
import dev.sluice.access.Caller;
import dev.sluice.access.Quotas;
import dev.sluice.access.Refusal;
import dev.sluice.chain.Fault;
import dev.sluice.chain.Opener;
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
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
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

    private final Route route;
    private final Dialect dialect;
    private final Config config;
    private final Admission admission;
    private final Quotas quotas;
    private final Watchdog watchdog;
    private final StreamRelay relay;
    private final Redaction redaction;
    private final Metrics metrics;
    private final Transcripts transcripts;
    private final StreamsEndpoint streams;
    private final Opener opener;
    private final UpstreamAnswer answers;
    private final WholeAnswer whole;
    private final UpstreamEnd ends;

    /**
     * The collaborators are shared by every route but {@code opener}, the route's own;
     * {@code config} gives limits and timeouts.
     */
    public RelayServlet(Route route, Config config, Admission admission, Quotas quotas,
            Opener opener, Watchdog watchdog, StreamRelay relay,
            Redaction redaction, Metrics metrics, Transcripts transcripts,
            StreamsEndpoint streams) {
        this.route = route;
        this.dialect = Dialects.of(route.dialect());
        this.config = config;
        this.admission = admission;
        this.quotas = quotas;
        this.watchdog = watchdog;
        this.relay = relay;
        this.redaction = redaction;
        this.metrics = metrics;
        this.transcripts = transcripts;
        this.streams = streams;
        this.opener = opener;
        this.answers = new UpstreamAnswer(dialect, config, watchdog, redaction);
        this.whole = new WholeAnswer(route, dialect, config, watchdog, redaction, quotas,
                transcripts);
        this.ends = new UpstreamEnd(watchdog);
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
            String rest = UpstreamTarget.rest(route, request, response);
            ClientRequest sent = ClientRequest.read(request, config.maxBodyBytes(), route.policy(),
                    dialect, watchdog);
            if (sent.body() != null) {
                Admission.checkModel(caller, sent.model());
            }
            try (Quotas.Slot slot = quotas.enter(caller)) {
                relay(request, response, rest, sent, caller, started);
            }
        } catch (Refusal refusal) {
            ClientRequest.refuse(request, response, refusal, dialect, config.maxBodyBytes(),
                    watchdog);
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
        UpstreamTarget.configured(route);
        ClientRequest sent = ClientRequest.read(request, config.maxBodyBytes(), route.policy(),
                dialect, watchdog);
        Admission.checkModel(caller, sent.model());
        if (!sent.stream()) {
            throw new Refusal(400, "invalid_request_error", route.prefix() + Route.STREAMS
                    + " starts a stream: send \"stream\": true");
        }
        Quotas.Slot slot = quotas.enter(caller);
        boolean handedOn = false;
        try {
            UpstreamAsk ask = new UpstreamAsk(request, operation.path(), sent, caller.id(), null);
            Opener.Opened opened = opener.open(ask);
            HttpResponse<InputStream> answer = opened.answer();
            InputStream body = answer.body();
            try {
                if (refusedUpstream(answer, response)) {
                    return;
                }
                if (!isEventStream(answer)) {
                    throw new Refusal(502, "upstream_error", "the upstream answered "
                            + route.prefix() + Route.STREAMS + " without an event stream");
                }
                Resumable stream = streams.open(route, caller, false);
                Transcript transcript = transcripts.start(route, dialect, sent.model());
                streams.started(request, response, route, stream);
                String requestId = MDC.get("request_id");
                Thread.ofVirtual().name("sluice-stream").start(() -> {
                    MDC.put("request_id", requestId);
                    boolean ended = false;
                    try (slot) {
                        ended = replay(stream, ClientStream.none(), false, ask, opened,
                                transcript, caller, null);
                    } catch (IOException | RuntimeException e) {
                        LOG.warn("{} stream {} failed: {}", route.name(), stream.id(),
                                LogText.of(redaction.scrub(String.valueOf(e.getMessage()))));
                    } finally {
                        finish(body, ended);
                        opened.release();
                        MDC.remove("request_id");
                    }
                });
                handedOn = true;
            } finally {
                if (!handedOn) {
                    body.close();
                    opened.release();
                }
            }
        } finally {
            if (!handedOn) {
                slot.close();
            }
        }
    }

    private void relay(HttpServletRequest request, HttpServletResponse response, String rest,
            ClientRequest sent, Caller caller, long started) throws Refusal, IOException {
        UpstreamAsk ask = new UpstreamAsk(request, rest, sent, caller.id(),
                sent.stream() && !wantsText(request) ? new QueueNotes(response) : null);
        Opener.Opened opened = opener.open(ask);
        HttpResponse<InputStream> answer = opened.answer();
        InputStream body = answer.body();
        boolean ended = false;
        try {
            String encoding = answer.headers().firstValue("content-encoding").orElse(null);
            if (refusedUpstream(answer, response)) {
                LOG.info("{} {} upstream error in {} ms", route.name(), answer.statusCode(),
                        millisSince(started));
            } else if (isEventStream(answer)) {
                ended = stream(request, response, ask, opened, sent, caller);
            } else {
                whole.send(response, opened, encoding, sent, caller, started);
            }
        } finally {
            finish(body, ended);
            opened.release();
        }
    }

    /**
     * Passes on the upstream's headers worth passing on and, when its status is not a success,
     * its error body (scrubbed) with that status.
     *
     * @return true when the answer was an error, now sent
     */
    private boolean refusedUpstream(HttpResponse<InputStream> answer,
            HttpServletResponse response) throws IOException {
        int status = answer.statusCode();
        if (!response.isCommitted()) {
            answers.forwardHeaders(answer.headers(), response);
        }
        if (status >= 200 && status <= 299) {
            return false;
        }
        byte[] error = answers.errorBody(status, answer.body(),
                answer.headers().firstValue("content-encoding").orElse(null));
        if (response.isCommitted()) {
            // Queue notes began the stream: the error ends it in-band.
            Refusal.sendInBand(response, dialect, "upstream answered HTTP " + status + ": "
                    + new String(error, StandardCharsets.UTF_8), "upstream_error");
        } else {
            Refusal.sendJson(response, status, error);
        }
        return true;
    }

    /**
     * Lets go of an upstream body: after the stream's terminal event its end is read first, so
     * that the connection can carry the next request; otherwise it is closed at once, which
     * cancels the exchange (a client that left stops the provider generating).
     */
    private void finish(InputStream body, boolean ended) {
        if (ended) {
            ends.finish(body);
        } else {
            UpstreamEnd.close(body);
        }
    }


    /**
     * @return true when the first upstream's stream ended with its terminal event, so that its
     *     body is read to its end; a fallback's body is let go of here
     */
    private boolean stream(HttpServletRequest request, HttpServletResponse response,
            UpstreamAsk ask, Opener.Opened opened, ClientRequest sent, Caller caller)
            throws IOException {
        boolean textOnly = wantsText(request);
        // Not committed until the first content event is flushed (or a queue's note): until
        // then this can still become an HTTP error or a fallback's stream (see StreamRelay).
        if (!response.isCommitted()) {
            beginStream(response, textOnly);
        }
        Transcript transcript = transcripts.start(route, dialect, sent.model());
        // Plain text has no ids to resume by.
        if (!textOnly && (route.resumable() || StreamsEndpoint.asked(request))) {
            Resumable stream = streams.open(route, caller, true);
            response.setHeader(StreamsEndpoint.STREAM_ID, stream.id());
            // A newer reader ends this response while this thread reads on into the log: the
            // connection must not carry the client's next request, which would wait for that.
            response.setHeader("Connection", "close");
            AtomicReference<Resumable.Reader> reader = new AtomicReference<>();
            ClientStream client = new ClientStream(response,
                    () -> stream.detach(reader.get()));
            // A newer reader ends this client's response, on a thread of its own: the close
            // may wait for the relay thread's write to a slow client.
            reader.set(stream.attach(() -> Thread.ofVirtual().name("sluice-takeover")
                    .start(client::end)));
            try {
                return replay(stream, client, true, ask, opened, transcript, caller, response);
            } finally {
                client.release();
            }
        }
        ClientStream client = new ClientStream(response, textOnly);
        Relayed relayed;
        try {
            relayed = relayChain(ask, opened, transcript, client, null, null, true,
                    route.drain(), caller, response);
        } finally {
            client.release(); // a heartbeat the watchdog started last writes nothing now
        }
        transcripts.ended(relayed.transcript());
        return relayed.firstEnded();
    }

    /**
     * Relays a resumable stream into its replay log, and to {@code client} while it is there,
     * until the upstream ends, the stream is stopped or nobody has read it for the grace
     * period; the log is closed on every way out. On a draining route a stopped or abandoned
     * stream is read on after its log's end, as a plain one whose client left, and charged.
     * One transcript, however many readers came.
     *
     * @param attached the client was there from the start: it gets the priming id first
     * @param response the client's response, or null for a stream started without one
     * @return true when the first upstream's stream ended with its terminal event
     */
    private boolean replay(Resumable stream, ClientStream client, boolean attached,
            UpstreamAsk ask, Opener.Opened opened, Transcript transcript, Caller caller,
            HttpServletResponse response) throws IOException {
        ReplayWriter writer = new ReplayWriter(stream, client, config.resume().memoryBytes());
        ReplayLog.Ending ending = ReplayLog.Ending.FAILED;
        Relayed relayed;
        try {
            if (attached) {
                writer.prime();
            }
            relayed = relayChain(ask, opened, transcript, client, writer, stream, attached,
                    route.drain(), caller, response);
            ending = ending(relayed.why(), relayed.transcript().outcome());
        } finally {
            stream.close(ending);
        }
        transcripts.ended(relayed.transcript());
        return relayed.firstEnded();
    }

    /**
     * A stream relayed along its chain.
     *
     * @param transcript the relayed stream's, ended
     * @param why why it was ended from outside, or null
     * @param firstEnded the first upstream's stream was the one relayed, to its terminal event
     */
    private record Relayed(Transcript transcript, Watch.Expiry why, boolean firstEnded) {}

    /**
     * Relays {@code opened}'s stream to {@code client} and, each time a stream gives out before
     * its first content event while the chain has a route left, the next route's in its place,
     * on the same client. The first answer's body is the caller's to finish; a fallback's is let
     * go of here.
     *
     * @param writer a resumable stream's log writer, or null
     * @param stream the resumable stream whose stop and abandon end the relay, or null
     * @param heartbeats the client is there and gets heartbeats
     * @param drain the route reads on an upstream whose client left, or whose resumable stream
     *     was stopped or abandoned, for its usage
     * @param response the client's response, which gets a fallback's upstream headers in place
     *     of the first's while uncommitted; null for none
     */
    private Relayed relayChain(UpstreamAsk ask, Opener.Opened opened, Transcript transcript,
            ClientStream client, ReplayWriter writer, Resumable stream, boolean heartbeats,
            boolean drain, Caller caller, HttpServletResponse response) throws IOException {
        boolean first = true;
        while (true) {
            Opener.Opened current = opened;
            opened.recordIn(transcript);
            InputStream body = opened.answer().body();
            String encoding = opened.answer().headers().firstValue("content-encoding")
                    .orElse(null);
            StreamRelay.Stream s;
            Fault fault = null;
            Watch.Expiry why;
            try (Watch watch = watchdog.watch(heartbeats ? client : null, body, drain)) {
                if (stream != null) {
                    stream.bind(() -> relay.halt(watch, Watch.Expiry.ABANDONED, drain),
                            () -> relay.halt(watch, Watch.Expiry.STOPPED, drain));
                }
                s = new StreamRelay.Stream(dialect, client, watch, transcript,
                        ask.sent().usageRequested(), drain, writer, current.fallible(),
                        () -> opener.began(current));
                fault = relay.run(body, encoding, s);
                if (fault == null) {
                    quotas.charge(caller, transcript.usage()); // while it still counts as open
                }
                // A halted stream drained to its end was stopped or abandoned all the same.
                why = watch.halted() != null ? watch.halted() : watch.expiry();
            } finally {
                if (fault != null) {
                    UpstreamEnd.close(body);
                    current.release(); // before the next route is asked: room for it
                } else if (!first) {
                    finish(body, transcript.outcome() == Transcript.Outcome.DONE);
                    current.release();
                }
            }
            if (fault == null) {
                return new Relayed(transcript, why,
                        first && transcript.outcome() == Transcript.Outcome.DONE);
            }
            first = false;
            transcript = transcript.again();
            s = s.with(transcript);
            try {
                opened = opener.fallBack(ask, opened, fault);
            } catch (Refusal refusal) {
                relay.refuse(s, refusal);
                return new Relayed(transcript, null, false);
            }
            HttpResponse<InputStream> answer = opened.answer();
            if (response != null && !response.isCommitted()) {
                answers.replaceHeaders(answer.headers(), response);
            }
            int status = answer.statusCode();
            if (status >= 200 && status <= 299 && isEventStream(answer)) {
                continue;
            }
            opened.recordIn(transcript);
            try {
                boolean success = status >= 200 && status <= 299;
                String message = "the upstream of route " + opened.route().name()
                        + " answered " + status + (success ? " without an event stream" : "");
                if (success) {
                    relay.refuse(s, new Refusal(502, "upstream_error", message));
                } else {
                    relay.refuse(s, status, answers.errorBody(status, answer.body(),
                            answer.headers().firstValue("content-encoding").orElse(null)),
                            message, "upstream_error");
                }
            } finally {
                UpstreamEnd.close(answer.body());
                opened.release();
            }
            return new Relayed(transcript, null, false);
        }
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

    /** The status and headers of a streamed answer, set but not yet sent. */
    static void beginStream(HttpServletResponse response, boolean textOnly) {
        response.setStatus(200);
        response.setContentType(textOnly ? "text/plain; charset=utf-8"
                : "text/event-stream; charset=utf-8");
        response.setHeader("Cache-Control", "no-cache, no-transform");
        response.setHeader("X-Accel-Buffering", "no");
    }

    /** Plain text when the client asks for it and not for an event stream. */
    private static boolean wantsText(HttpServletRequest request) {
        String accept = request.getHeader("Accept");
        return accept != null && accept.contains("text/plain")
                && !accept.contains("text/event-stream");
    }


    private static boolean isEventStream(HttpResponse<?> answer) {
        return answer.headers().firstValue("content-type")
                .map(type -> type.toLowerCase(Locale.ROOT).startsWith("text/event-stream"))
                .orElse(false);
    }

    /** Milliseconds since {@code started}, a {@link System#nanoTime()}, for log lines. */
    static long millisSince(long started) {
        return (System.nanoTime() - started) / 1_000_000;
    }
}
