package dev.sluice.relay;

import dev.sluice.config.Timeouts;
import dev.sluice.dialect.OpenAiDialect;
import dev.sluice.sse.LineTooLongException;
import dev.sluice.sse.SseComment;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseItem;
import dev.sluice.sse.SseReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;

/**
 * The loop of one stream, on the request's own thread: read an upstream event, write it to the
 * client, flush when the upstream has nothing more in hand, until the terminal event, the end of
 * the upstream, or a failure. Every event is forwarded as it was read. Until the first event is
 * sent the response stays uncommitted, so a failure or an error event up to then becomes a plain
 * HTTP error; after it, failures end the stream with an error event and the terminal event.
 */
final class StreamRelay {

    /** How a stream ended. */
    enum Outcome {
        /** The upstream sent its terminal event. */
        DONE,
        /** The upstream closed the stream cleanly without a terminal event. */
        UPSTREAM_CLOSED,
        /** The upstream failed or went silent; the client got an error, in-band or as HTTP. */
        UPSTREAM_FAILED,
        /** The server shut down; the client got a shutdown error. */
        SHUT_DOWN,
        /** The client went away; the upstream exchange was cancelled. */
        CLIENT_GONE
    }

    /** What one stream did, for its summary log line. */
    record Result(Outcome outcome, int events, String failure) {}

    private final OpenAiDialect dialect;
    private final Redaction redaction;
    private final Timeouts timeouts;
    private final int maxLineBytes;

    StreamRelay(OpenAiDialect dialect, Redaction redaction, Timeouts timeouts, int maxLineBytes) {
        this.dialect = dialect;
        this.redaction = redaction;
        this.timeouts = timeouts;
        this.maxLineBytes = maxLineBytes;
    }

    /**
     * Relays until the stream ends; the caller closes {@code upstream}, which cancels it.
     *
     * @param contentEncoding the upstream's {@code Content-Encoding}, or null
     */
    Result run(InputStream upstream, String contentEncoding, ClientStream client, Watch watch) {
        int events = 0;
        try {
            SseReader reader;
            try {
                reader = new SseReader(Decoding.of(new FlushBeforeBlocking(upstream, client),
                        contentEncoding), maxLineBytes);
            } catch (IOException e) {
                return fail(client, watch, e, events);
            }
            while (true) {
                SseItem item;
                try {
                    item = reader.next();
                } catch (ClientGoneException e) {
                    throw e;
                } catch (IOException e) {
                    return fail(client, watch, e, events);
                }
                if (item == null) {
                    return ended(client, watch, events);
                }
                watch.upstreamItem(item instanceof SseEvent);
                if (events == 0 && item instanceof SseComment) {
                    continue; // upstream keep-alives before the first event: ours cover that
                }
                if (item instanceof SseEvent event) {
                    if (events == 0) {
                        OptionalInt status = dialect.errorStatus(event);
                        if (status.isPresent() && client.refuse(status.getAsInt(),
                                dialect.upstreamErrorBody(status.getAsInt(),
                                        event.data().getBytes(StandardCharsets.UTF_8),
                                        redaction::scrub))) {
                            return new Result(Outcome.UPSTREAM_FAILED, 0,
                                    "error event before any other, answered as HTTP "
                                            + status.getAsInt());
                        }
                    }
                    events++;
                    client.write(item);
                    if (dialect.isTerminal(event)) {
                        client.flush();
                        return new Result(Outcome.DONE, events, null);
                    }
                } else {
                    client.write(item);
                }
            }
        } catch (ClientGoneException e) {
            return new Result(Outcome.CLIENT_GONE, events, null);
        }
    }

    /** The upstream ended cleanly; an end before any event is a failure of the upstream. */
    private Result ended(ClientStream client, Watch watch, int events) throws ClientGoneException {
        if (events == 0) {
            IOException empty = new IOException("the upstream ended the stream without an event");
            return fail(client, watch, empty, events);
        }
        client.flush();
        return new Result(Outcome.UPSTREAM_CLOSED, events, null);
    }

    private Result fail(ClientStream client, Watch watch, IOException e, int events)
            throws ClientGoneException {
        Watch.Expiry why = watch.expiry();
        if (why == Watch.Expiry.CLIENT_GONE) {
            return new Result(Outcome.CLIENT_GONE, events, null);
        }
        String message = why != null ? why.message(timeouts) : describe(e);
        String type = why != null ? why.type : "upstream_error";
        int status = why != null ? why.status : 502;
        // Once an event has been written the stream has begun, flushed or not: errors go in-band.
        if (events > 0 || !client.refuse(status, dialect.errorBody(message, type))) {
            client.write(dialect.errorEvent(message, type));
            client.write(dialect.terminal());
            client.flush();
        }
        return new Result(why == Watch.Expiry.SHUTDOWN ? Outcome.SHUT_DOWN : Outcome.UPSTREAM_FAILED,
                events, message);
    }

    private String describe(IOException e) {
        if (e instanceof LineTooLongException) {
            return "upstream stream failed: " + e.getMessage();
        }
        String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return "upstream stream failed: " + redaction.scrub(detail);
    }
}
