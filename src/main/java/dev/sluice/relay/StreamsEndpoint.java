package dev.sluice.relay;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.access.Admission;
import dev.sluice.access.Caller;
import dev.sluice.access.Quotas;
import dev.sluice.access.Refusal;
import dev.sluice.config.Route;
import dev.sluice.dialect.Dialect;
import dev.sluice.observe.Metrics;
import dev.sluice.resume.LogUnavailable;
import dev.sluice.resume.ReplayLog;
import dev.sluice.resume.Resumable;
import dev.sluice.resume.Resumables;
import dev.sluice.resume.StreamTickets;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sluice's own endpoints for resumable streams under each route's prefix, never relayed:
 * {@code GET <prefix>/streams/{id}} replays a stream's log after the client's last event id and
 * follows it to its end (the newest reader takes over from an older one), {@code DELETE} stops
 * it. {@code POST <prefix>/streams}, which opens an upstream, is {@link RelayServlet}'s. Both
 * are counted against the caller's bucket of resumes and stops, and a reader holds one of the
 * caller's readers while it reads. Each request runs on its own (virtual) thread; a reader waits
 * on the log, never on a timer.
 */
public final class StreamsEndpoint {

    /** The response header that names a resumable stream. */
    public static final String STREAM_ID = "X-Sluice-Stream-Id";
    /** The request header that asks for a resumable stream on any route. */
    public static final String RESUMABLE = "X-Sluice-Resumable";
    private static final Logger LOG = LoggerFactory.getLogger(StreamsEndpoint.class);
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern LAST_EVENT =
            Pattern.compile("([A-Za-z0-9_-]{1,64}):([0-9]{1,18})");
    private static final byte[] KEEP_ALIVE = ": keep-alive\n".getBytes(StandardCharsets.US_ASCII);
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);

    private final Resumables resumables;
    private final StreamTickets tickets;
    private final Admission admission;
    private final Quotas quotas;
    private final int maxReaders;
    private final Metrics metrics;
    private final Duration heartbeat;

    /**
     * @param maxReaders how many streams one caller may read at once
     * @param heartbeat the silence after which a reader gets a {@code : keep-alive} comment
     */
    public StreamsEndpoint(Resumables resumables, StreamTickets tickets, Admission admission,
            Quotas quotas, int maxReaders, Metrics metrics, Duration heartbeat) {
        this.resumables = resumables;
        this.tickets = tickets;
        this.admission = admission;
        this.quotas = quotas;
        this.maxReaders = maxReaders;
        this.metrics = metrics;
        this.heartbeat = heartbeat;
    }

    /**
     * The request's path under the route's prefix when it is one of these endpoints'
     * ({@code /streams} or {@code /streams/...}), else null.
     */
    static String path(Route route, HttpServletRequest request) {
        String uri = request.getRequestURI();
        String head = request.getContextPath() + route.prefix();
        if (!uri.startsWith(head)) {
            return null;
        }
        String rest = uri.substring(head.length());
        return rest.equals(Route.STREAMS) || rest.startsWith(Route.STREAMS + "/") ? rest : null;
    }

    /** True when the request asks for a resumable stream. */
    static boolean asked(HttpServletRequest request) {
        return "true".equalsIgnoreCase(request.getHeader(RESUMABLE));
    }

    /**
     * A new resumable stream of {@code caller}'s on {@code route}; {@code attached}: its client
     * is there from the start.
     */
    Resumable open(Route route, Caller caller, boolean attached) {
        return resumables.open(route.name(), owner(caller), attached);
    }

    /**
     * What ends the log of a stream whose relay went away without ending it (with Redis, an
     * instance that died): an error event in the dialect's shape, then its end, as field lines.
     */
    public static List<byte[]> lostEnd(Dialect dialect) {
        return dialect.errorEvents("the stream was lost with the Sluice instance that relayed "
                + "it, which stopped without ending it; start a new stream", "stream_lost")
                .stream().map(ReplayWriter::fields).toList();
    }

    /**
     * Answers {@code POST .../streams}: 201 with the stream's id and a URL that reads it with a
     * signed ticket in place of the caller's token. The URL is relative (path and query), to be
     * resolved against the one the client called: behind a proxy, Sluice's view of the scheme,
     * host and port is the proxy's hop (nginx's {@code Host} has no port; TLS ends there).
     */
    void started(HttpServletRequest request, HttpServletResponse response, Route route,
            Resumable stream) throws IOException {
        ObjectNode body = StrictJson.MAPPER.createObjectNode();
        body.put("id", stream.id());
        body.put("url", request.getContextPath() + route.prefix() + Route.STREAMS + "/"
                + stream.id() + "?token=" + tickets.issue(stream.id()));
        response.setHeader(STREAM_ID, stream.id());
        response.setHeader("Cache-Control", "no-store");
        Refusal.sendJson(response, 201, StrictJson.MAPPER.writeValueAsBytes(body));
    }

    /** {@code GET} or {@code DELETE <prefix>/streams/{id}}; {@code rest} is the path after it. */
    void serve(HttpServletRequest request, HttpServletResponse response, Route route,
            Dialect dialect, String rest) throws Refusal, IOException {
        String id = rest.substring(Route.STREAMS.length() + 1);
        if (!ID.matcher(id).matches()) {
            throw unknown(route);
        }
        try {
            switch (request.getMethod()) {
                case "GET" -> resume(request, response, route, id);
                case "DELETE" -> stop(request, response, route, id);
                default -> refuseMethod(request, response, route);
            }
        } catch (LogUnavailable e) {
            metrics.resume("unavailable");
            LOG.warn("{} stream {}: the shared stream logs do not answer: {}", route.name(), id,
                    e.getMessage());
            throw new Refusal(503, "service_unavailable", "the stream cannot be reached now: "
                    + "the shared store of stream logs does not answer; retry shortly", 1);
        }
    }

    private static void refuseMethod(HttpServletRequest request, HttpServletResponse response,
            Route route) throws Refusal {
        response.setHeader("Allow", "GET, DELETE");
        throw new Refusal(405, "invalid_request_error", request.getMethod() + " is not allowed "
                + "on " + route.prefix() + Route.STREAMS + "/{id}; GET resumes a stream, DELETE "
                + "stops it");
    }

    private void resume(HttpServletRequest request, HttpServletResponse response, Route route,
            String id) throws Refusal, IOException {
        // The query may hold a ticket: none of it is ever put into a message or a log line.
        String ticket = request.getParameter("token");
        Resumable stream = null;
        Caller caller;
        if (ticket != null) {
            if (!tickets.valid(ticket, id)) {
                throw new Refusal(401, "authentication_error", "the stream URL's token is not "
                        + "valid for this stream or has expired; start a new stream");
            }
            stream = find(route, id);
            if (stream == null) {
                throw unknown(route);
            }
            // A ticket names no caller: its reads are counted as the stream owner's.
            caller = admission.ownerOf(stream.owner(), request);
        } else {
            caller = admission.admit(request, route);
        }
        Quotas.Slot reading = quotas.enter(caller.reading(maxReaders));
        try (reading) {
            if (ticket == null) {
                stream = find(route, id);
                if (stream != null && !stream.mayUse(owner(caller))) {
                    stream = null; // another caller's stream: no different from none
                }
            }
            if (stream == null) {
                throw unknown(route);
            }
            answer(request, response, stream);
        }
    }

    /** Answers a counted reader: the log after the client's last event id, then its tail. */
    private void answer(HttpServletRequest request, HttpServletResponse response,
            Resumable stream) throws Refusal, IOException {
        ReplayLog log = stream.log();
        long after = after(request, stream);
        if (after > log.last()) {
            throw new Refusal(400, "invalid_request_error", "event " + stream.eventId(after)
                    + " has not been sent; resume from an id the stream gave");
        }
        ReplayLog.Read first = read(log, Math.max(after, 0), Duration.ZERO, () -> true);
        if (first instanceof ReplayLog.Gone gone) {
            metrics.resume("gone");
            throw new Refusal(410, "stream_gone", "the events after "
                    + stream.eventId(Math.max(after, 0)) + " are no longer held (the stream's "
                    + "log was " + gone.reason() + "); start a new stream");
        }
        // Before the answer begins: with Redis, attaching asks it, and may be refused with 503.
        Resumable.Reader reader = stream.attach(() -> { });
        response.setStatus(200);
        response.setContentType("text/event-stream; charset=utf-8");
        response.setHeader("Cache-Control", "no-cache, no-transform");
        response.setHeader("X-Accel-Buffering", "no");
        response.setHeader(STREAM_ID, stream.id());
        if (after >= 0) {
            metrics.resume("resumed");
        }
        try {
            follow(response.getOutputStream(), stream, reader, after);
        } catch (IOException e) {
            // the reader left: expected, and the stream goes on for the next one
        } catch (LogUnavailable e) {
            // Redis went away mid-answer: the response ends, and a resume gets 503 until it is
            // back; the stream goes on for its holder.
            metrics.resume("unavailable");
        } finally {
            stream.detach(reader);
        }
    }

    /** Writes the log after {@code after} and then each event as it is appended, to the end. */
    private void follow(ServletOutputStream out, Resumable stream, Resumable.Reader reader,
            long after) throws IOException {
        if (after < 0) {
            out.write(stream.idBlock(0)); // as on the first request: an id to resume from
        }
        out.flush();
        long at = Math.max(after, 0);
        while (true) {
            ReplayLog.Read read;
            try {
                read = stream.log().read(at, heartbeat, reader::ended);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (reader.ended()) {
                return; // a newer reader took over: this response ends
            }
            switch (read) {
                case ReplayLog.Entries found -> {
                    if (found.entries().isEmpty()) {
                        out.write(KEEP_ALIVE);
                    }
                    for (ReplayLog.Entry entry : found.entries()) {
                        out.write(entry.fields());
                        out.write(stream.idBlock(entry.n()));
                        at = entry.n();
                    }
                    out.flush();
                }
                case ReplayLog.Closed closed -> {
                    return;
                }
                case ReplayLog.Gone gone -> {
                    return; // fell behind a trim: a resume from here gets 410
                }
            }
        }
    }

    private void stop(HttpServletRequest request, HttpServletResponse response, Route route,
            String id) throws Refusal {
        Caller caller = admission.admit(request, route);
        // Counted in the bucket of resumes and stops; a stop holds no reader.
        quotas.enter(caller.reading(0)).close();
        Resumable stream = find(route, id);
        if (stream == null || !stream.mayUse(owner(caller))) {
            throw unknown(route);
        }
        stream.stop();
        try {
            // So that a resume right after this sees the stopped end.
            stream.log().awaitClosed(STOP_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        response.setStatus(204);
    }

    private Resumable find(Route route, String id) {
        Resumable stream = resumables.find(id);
        return stream != null && stream.route().equals(route.name()) ? stream : null;
    }

    /**
     * The client's last event id ({@code Last-Event-ID}, or {@code last_event_id} for clients
     * that cannot send headers) as an event number, or -1 when it sent none.
     */
    private static long after(HttpServletRequest request, Resumable stream) throws Refusal {
        String last = request.getHeader("Last-Event-ID");
        if (last == null || last.isBlank()) {
            last = request.getParameter("last_event_id");
        }
        if (last == null || last.isBlank()) {
            return -1;
        }
        var m = LAST_EVENT.matcher(last.strip());
        if (!m.matches() || !m.group(1).equals(stream.id())) {
            throw new Refusal(400, "invalid_request_error", "Last-Event-ID must be an id this "
                    + "stream gave, " + stream.id() + ":<n>");
        }
        return Long.parseLong(m.group(2));
    }

    private static ReplayLog.Read read(ReplayLog log, long after, Duration wait,
            BooleanSupplier done) throws Refusal {
        try {
            return log.read(after, wait, done);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Refusal(503, "server_shutting_down", "request interrupted");
        }
    }

    /**
     * Whose a new stream is: a token client or a JWT user; null for a caller without an
     * identity of its own (no access file, or anonymous), whose stream's id is the capability.
     */
    private static String owner(Caller caller) {
        String id = caller.id();
        return id.startsWith("client:") || id.startsWith("jwt:") ? id : null;
    }

    private static Refusal unknown(Route route) {
        return new Refusal(404, "not_found_error", "no such stream on route " + route.name());
    }
}
