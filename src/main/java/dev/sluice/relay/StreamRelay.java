package dev.sluice.relay;

import dev.sluice.config.Timeouts;
import dev.sluice.dialect.Dialect;
import dev.sluice.observe.Redaction;
import dev.sluice.observe.Transcript;
import dev.sluice.sse.LineTooLongException;
import dev.sluice.sse.SseComment;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseItem;
import dev.sluice.sse.SseReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import java.util.concurrent.Semaphore;

/**
 * The loop of one stream, on the request's own thread: read an upstream event, write it to the
 * client, flush when the upstream has nothing more in hand, until the terminal event, the end of
 * the upstream, or a failure. Every event is forwarded as it was read, except a usage report the
 * relay itself asked for and an error event, which is scrubbed of secrets. Until the first event
 * is written the response stays uncommitted, so a failure or an error event up to then becomes a
 * plain HTTP error; after it, failures end the stream in-band in the dialect's shape.
 */
public final class StreamRelay {

    private final Redaction redaction;
    private final Timeouts timeouts;
    private final int maxLineBytes;
    private final Semaphore drains;

    /** @param drains permits for draining upstreams after their clients left */
    public StreamRelay(Redaction redaction, Timeouts timeouts, int maxLineBytes,
            Semaphore drains) {
        this.redaction = redaction;
        this.timeouts = timeouts;
        this.maxLineBytes = maxLineBytes;
        this.drains = drains;
    }

    /**
     * One stream's parts.
     *
     * @param drain the route drains an upstream whose client left, while permits last
     */
    record Stream(Dialect dialect, ClientStream client, Watch watch, Transcript transcript,
            boolean usageRequested, boolean drain) {}

    /**
     * Relays until the stream ends and records how in the transcript; the caller closes
     * {@code upstream}, which cancels it.
     *
     * @param contentEncoding the upstream's {@code Content-Encoding}, or null
     */
    void run(InputStream upstream, String contentEncoding, Stream s) {
        int written = 0;
        SseReader reader = null;
        try {
            try {
                reader = new SseReader(Decoding.of(new FlushBeforeBlocking(upstream, s.client()),
                        contentEncoding), maxLineBytes);
            } catch (IOException e) {
                fail(s, e, written);
                return;
            }
            while (true) {
                SseItem item;
                try {
                    item = reader.next();
                } catch (ClientGoneException e) {
                    throw e;
                } catch (IOException e) {
                    fail(s, e, written);
                    return;
                }
                if (item == null) {
                    ended(s, written);
                    return;
                }
                s.watch().upstreamItem(item instanceof SseEvent);
                if (item instanceof SseComment) {
                    // Upstream keep-alives before the first event are covered by ours; plain
                    // text has no room for them.
                    if (written > 0 && !s.client().textOnly()) {
                        s.client().write(item);
                    }
                    continue;
                }
                SseEvent read = (SseEvent) item;
                // An error event may quote the key anywhere in a stream; others pass untouched.
                SseEvent event = s.dialect().scrubbed(read, redaction::scrub);
                s.transcript().record(event);
                if (written == 0 && refusedAsError(s, read)) {
                    return;
                }
                if (s.usageRequested() && s.dialect().isRequestedUsage(event)) {
                    continue; // the relay asked for it, the client did not
                }
                written++;
                if (s.client().textOnly()) {
                    String text = s.dialect().text(event);
                    if (text != null) {
                        s.client().text(text);
                    }
                } else {
                    s.client().write(event);
                }
                if (s.dialect().isTerminal(event)) {
                    s.client().finish();
                    s.transcript().end(Transcript.Outcome.DONE, 200, null);
                    return;
                }
            }
        } catch (ClientGoneException e) {
            if (reader != null && s.drain() && drains.tryAcquire()) {
                try {
                    drain(reader, s);
                } finally {
                    drains.release();
                }
            }
            s.transcript().end(Transcript.Outcome.CLIENT_CLOSED, 200, null);
        }
    }

    /**
     * Reads the rest of a stream whose client left, writing nothing, so that its transcript gets
     * the usage the provider bills; the stream's time limits still apply.
     */
    private static void drain(SseReader reader, Stream s) {
        s.client().abandon();
        try {
            for (SseItem item = reader.next(); item != null; item = reader.next()) {
                if (item instanceof SseEvent event) {
                    s.watch().upstreamItem(true);
                    s.transcript().record(event);
                    if (s.dialect().isTerminal(event)) {
                        return;
                    }
                }
            }
        } catch (IOException e) {
            // a failure or a time limit ends the drain: what was read is what is known
        }
    }

    /** An error event before anything else is answered as the HTTP error it stands for. */
    private boolean refusedAsError(Stream s, SseEvent event) throws ClientGoneException {
        OptionalInt status = s.dialect().errorStatus(event);
        if (status.isEmpty() || !s.client().refuse(status.getAsInt(), s.dialect()
                .upstreamErrorBody(status.getAsInt(), event.data().getBytes(StandardCharsets.UTF_8),
                        redaction::scrub))) {
            return false;
        }
        s.transcript().end(Transcript.Outcome.UPSTREAM_ERROR, status.getAsInt(),
                "error event before any other");
        return true;
    }

    /** The upstream ended cleanly; an end before any event is a failure of the upstream. */
    private void ended(Stream s, int written) throws ClientGoneException {
        if (written == 0) {
            fail(s, new IOException("the upstream ended the stream without an event"), written);
            return;
        }
        s.client().finish();
        s.transcript().end(Transcript.Outcome.UPSTREAM_CLOSED, 200, null);
    }

    private void fail(Stream s, IOException e, int written) throws ClientGoneException {
        Watch.Expiry why = s.watch().expiry();
        if (why == Watch.Expiry.CLIENT_GONE) {
            s.transcript().end(Transcript.Outcome.CLIENT_CLOSED, 200, null);
            return;
        }
        String message = why != null ? why.message(timeouts) : describe(e);
        String type = why != null ? why.type : "upstream_error";
        int status = why != null ? why.status : 502;
        Transcript.Outcome outcome = why == null ? Transcript.Outcome.UPSTREAM_FAILED
                : why == Watch.Expiry.SHUTDOWN ? Transcript.Outcome.SHUTDOWN
                : Transcript.Outcome.TIMEOUT;
        // Once an event has been written the stream has begun, flushed or not: errors go in-band.
        if (written == 0
                && s.client().refuse(status, s.dialect().errorBody(status, message, type))) {
            s.transcript().end(outcome, status, message);
            return;
        }
        if (s.client().textOnly()) {
            s.client().text("\n[error: " + message + "]\n");
        } else {
            for (SseEvent event : s.dialect().errorEvents(message, type)) {
                s.client().write(event);
            }
        }
        s.client().flush();
        s.transcript().end(outcome, 200, message);
    }

    private String describe(IOException e) {
        if (e instanceof LineTooLongException) {
            return "upstream stream failed: " + e.getMessage();
        }
        String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        // The JDK says little ("closed", "EOF reached while reading"): say what it means.
        return "upstream stream failed: the connection to the upstream broke mid-answer ("
                + redaction.scrub(detail) + ")";
    }
}
