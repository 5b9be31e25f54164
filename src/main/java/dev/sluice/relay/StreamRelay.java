package dev.sluice.relay;

import dev.sluice.dialect.OpenAiDialect;
import dev.sluice.sse.LineTooLongException;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseItem;
import dev.sluice.sse.SseReader;
import dev.sluice.sse.SseWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The loop of one stream, on the request's own thread: read an upstream event, write it to the
 * client, flush when the upstream has nothing more in hand, until the terminal event, the end of
 * the upstream, or a failure. Every event is forwarded as it was read.
 */
final class StreamRelay {

    /** How a stream ended. */
    enum Outcome {
        /** The upstream sent its terminal event. */
        DONE,
        /** The upstream closed the stream cleanly without a terminal event. */
        UPSTREAM_CLOSED,
        /** The upstream failed mid-stream; the client got an error event and the terminal event. */
        UPSTREAM_FAILED,
        /** The client went away; the upstream exchange was cancelled. */
        CLIENT_GONE
    }

    /** What one stream did, for its summary log line. */
    record Result(Outcome outcome, int events, String failure) {}

    private final OpenAiDialect dialect;
    private final Redaction redaction;
    private final int maxLineBytes;

    StreamRelay(OpenAiDialect dialect, Redaction redaction, int maxLineBytes) {
        this.dialect = dialect;
        this.redaction = redaction;
        this.maxLineBytes = maxLineBytes;
    }

    /** Relays until the stream ends; the caller closes {@code upstream}, which cancels it. */
    Result run(InputStream upstream, OutputStream client) {
        SseWriter writer = new SseWriter(client);
        SseReader reader = new SseReader(new FlushBeforeBlocking(upstream, writer), maxLineBytes);
        int events = 0;
        try {
            while (true) {
                SseItem item;
                try {
                    item = reader.next();
                } catch (ClientGoneException e) {
                    throw e;
                } catch (IOException e) {
                    String failure = describe(e);
                    writer.event(dialect.errorEvent(failure, "upstream_error"));
                    writer.event(dialect.terminal());
                    writer.flush();
                    return new Result(Outcome.UPSTREAM_FAILED, events, failure);
                }
                if (item == null) {
                    writer.flush();
                    return new Result(Outcome.UPSTREAM_CLOSED, events, null);
                }
                writer.write(item);
                if (item instanceof SseEvent event) {
                    events++;
                    if (dialect.isTerminal(event)) {
                        writer.flush();
                        return new Result(Outcome.DONE, events, null);
                    }
                }
            }
        } catch (IOException e) {
            // Every read failure is handled above, so this is a failed write: the client left.
            return new Result(Outcome.CLIENT_GONE, events, null);
        }
    }

    private String describe(IOException e) {
        if (e instanceof LineTooLongException) {
            return "upstream stream failed: " + e.getMessage();
        }
        String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return "upstream stream failed: " + redaction.scrub(detail);
    }
}
