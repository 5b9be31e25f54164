package dev.sluice.relay;

import dev.sluice.access.Refusal;
import dev.sluice.chain.Fault;
import dev.sluice.config.Timeouts;
import dev.sluice.dialect.Dialect;
import dev.sluice.observe.KeyScrubber;
import dev.sluice.observe.Redaction;
import dev.sluice.observe.Transcript;
import dev.sluice.resume.ReplayLog;
import dev.sluice.sse.BlockScanner;
import dev.sluice.sse.SseEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Semaphore;

/**
 * The loop of one stream, on the request's own thread: read an upstream event, write it to the
 * client, flush when the upstream has nothing more in hand, until the terminal event, the end of
 * the upstream, or a failure. Every event is forwarded as the bytes it was read as, except a
 * usage report the relay itself asked for and an error event, which is scrubbed of secrets; one
 * too long to hold passes in pieces, unread. Every configured key is replaced wherever it is in
 * what is written, comments and pieces included, before anything looks at an event. The
 * stream's opening events that carry nothing of the answer (the dialect's preamble) are held
 * back, and nothing is written until the first content event, so a failure or an error event
 * up to then becomes a plain HTTP error, or, when the chain has a route left, a {@link Fault}
 * that hands the request on to it; after it, failures end the stream in-band in the dialect's
 * shape. A resumable stream's events go through its {@link ReplayWriter} instead, into the
 * replay log and then to the client; on a draining route, one stopped or abandoned gets its
 * log's end and is then read on like a plain stream whose client left.
 */
public final class StreamRelay {

    /** The most preamble events held back; a stream that opens with more commits on them. */
    private static final int MAX_HELD_EVENTS = 16;

    private final Redaction redaction;
    private final Timeouts timeouts;
    private final int maxHeldBytes;
    private final Semaphore drains;

    /**
     * @param maxHeldBytes the most of one event held to be looked at; a longer one passes
     * @param drains permits for draining upstreams after their clients left
     */
    public StreamRelay(Redaction redaction, Timeouts timeouts, int maxHeldBytes,
            Semaphore drains) {
        this.redaction = redaction;
        this.timeouts = timeouts;
        this.maxHeldBytes = maxHeldBytes;
        this.drains = drains;
    }

    /**
     * One stream's parts.
     *
     * @param drain the route drains an upstream whose client left, while permits last
     * @param replay a resumable stream's log writer, or null for a plain stream
     * @param fallible the chain has a route left to try if this stream gives out before its
     *     first content event
     * @param began runs at the first content event
     */
    record Stream(Dialect dialect, ClientStream client, Watch watch, Transcript transcript,
            boolean usageRequested, boolean drain, ReplayWriter replay, boolean fallible,
            Runnable began) {

        /** The same stream with a fallback's transcript. */
        Stream with(Transcript next) {
            return new Stream(dialect, client, watch, next, usageRequested, drain, replay,
                    fallible, began);
        }

        /** The same stream with nothing more logged: one halted, read on for its usage. */
        private Stream unlogged() {
            return new Stream(dialect, client, watch, transcript, usageRequested, drain, null,
                    fallible, began);
        }
    }

    /**
     * Ends a resumable stream from outside, stopped or abandoned: on a draining route, while a
     * drain permit lasts, it is halted, its upstream read on for the usage it reports; else its
     * upstream is cancelled at once.
     */
    void halt(Watch watch, Watch.Expiry why, boolean drain) {
        if (!drain || !watch.halt(why, drains)) {
            watch.expire(why);
        }
    }

    /**
     * Relays until the stream ends and records how in the transcript; the caller closes
     * {@code upstream}, which cancels it.
     *
     * @param contentEncoding the upstream's {@code Content-Encoding}, or null
     * @return why the stream was given up for the next route of the chain, with nothing
     *     written and the transcript not ended; null when it was relayed
     */
    Fault run(InputStream upstream, String contentEncoding, Stream s) {
        // The keys as they are now: a reload adds keys for the streams that start after it.
        Progress p = new Progress(redaction.inEvents());
        run(upstream, contentEncoding, s, p);
        return p.fault;
    }

    private void run(InputStream upstream, String contentEncoding, Stream s, Progress p) {
        BlockScanner blocks = null;
        try {
            try {
                blocks = new BlockScanner(Decoding.of(new FlushBeforeBlocking(upstream,
                        s.client()), contentEncoding), maxHeldBytes);
            } catch (IOException e) {
                fail(s, e, p, "failed");
                return;
            }
            while (true) {
                BlockScanner.Part part;
                try {
                    part = blocks.next();
                } catch (ClientGoneException e) {
                    throw e;
                } catch (IOException e) {
                    fail(s, e, p, "failed");
                    return;
                }
                if (part == null) {
                    ended(s, p);
                    return;
                }
                Watch.Expiry halted = s.replay() == null ? null : s.watch().halted();
                if (halted != null) {
                    drainHalted(blocks, part, s, p, halted);
                    return;
                }
                switch (part) {
                    case COMMENT -> {
                        s.watch().upstreamItem(false);
                        // Upstream keep-alives before the first event are covered by ours; plain
                        // text has no room for them.
                        if (p.written > 0 && !s.client().textOnly()) {
                            comment(blocks, s, p);
                        }
                    }
                    case PIECE, LAST_PIECE -> pass(blocks, part, s, p);
                    case EVENT -> {
                        if (event(blocks, s, p)) {
                            return;
                        }
                    }
                }
            }
        } catch (ClientGoneException e) {
            if (blocks != null && s.drain() && drains.tryAcquire()) {
                try {
                    drain(blocks, s, p);
                } finally {
                    drains.release();
                }
            }
            s.transcript().end(Transcript.Outcome.CLIENT_CLOSED, 200, null);
        } finally {
            if (blocks != null) {
                blocks.release(); // everything read has been written or copied by now
            }
        }
    }

    /** Writes a comment line to the client as it was read, but for its keys. */
    private static void comment(BlockScanner blocks, Stream s, Progress p)
            throws ClientGoneException {
        byte[] bytes = blocks.array();
        byte[] scrubbed = p.keys.scrubbed(bytes, blocks.offset(), blocks.length());
        if (scrubbed == null) {
            s.client().forward(bytes, blocks.offset(), blocks.length(), false);
        } else {
            s.client().forward(scrubbed, 0, scrubbed.length, false);
        }
    }

    /** What a stream has done so far, on its relay thread. */
    private static final class Progress {
        /** Events written (or, in plain text, relayed). */
        int written;
        /** A block too long to hold is part way through: the client has part of a line. */
        boolean passing;
        /** Its pieces, scrubbed of these keys; made at the stream's first such block. */
        ScrubbedPieces pieces;
        final KeyScrubber keys;
        /** Preamble events held back, copied, until the first content event. */
        final List<byte[]> held = new ArrayList<>(2);
        long heldBytes;
        /** Set when the stream is given up for the next route of the chain. */
        Fault fault;

        Progress(KeyScrubber keys) {
            this.keys = keys;
        }
    }

    /**
     * Relays one held event as it was read; true when the stream is over: it was the terminal
     * event, or an error event before any other, answered as an HTTP error. Only an event the
     * dialect's look at its bytes selects is decoded (or every one, when the client wants plain
     * text or the transcript keeps content); the rest go out at once.
     */
    private boolean event(BlockScanner blocks, Stream s, Progress p) throws ClientGoneException {
        byte[] bytes = blocks.array();
        int offset = blocks.offset();
        int length = blocks.length();
        // Before anything looks at it: a key the upstream echoes goes nowhere, not even to a
        // refusal, a transcript or the log of a resumable stream.
        byte[] scrubbed = p.keys.scrubbed(bytes, offset, length);
        if (scrubbed != null) {
            bytes = scrubbed;
            offset = 0;
            length = scrubbed.length;
        }
        if (p.written > 0 && !s.client().textOnly() && !s.transcript().keepsContent()
                && !s.dialect().mayMatter(bytes, offset, length)) {
            s.watch().upstreamItem(true);
            s.transcript().count(length);
            p.written++;
            if (s.replay() == null) {
                s.client().forward(bytes, offset, length, false);
            } else {
                s.replay().event(bytes, offset, length);
            }
            return false;
        }
        SseEvent read = scrubbed == null ? blocks.event()
                : BlockScanner.event(bytes, offset, length);
        if (read == null) {
            s.watch().upstreamItem(true);
            return false; // no event to a browser: nothing that it would see
        }
        // An error event may quote the key anywhere in a stream; others pass untouched.
        SseEvent event = s.dialect().scrubbed(read, redaction::scrub);
        s.transcript().record(event, length);
        if (p.written == 0) {
            if (refusedAsError(s, read, p)) {
                return true;
            }
            if (event == read && s.dialect().isPreamble(event)
                    && p.held.size() < MAX_HELD_EVENTS && p.heldBytes + length <= maxHeldBytes) {
                // Not yet the answer: the first-event timeout runs on until content comes.
                s.watch().upstreamItem(false);
                p.held.add(Arrays.copyOfRange(bytes, offset, offset + length));
                p.heldBytes += length;
                return false;
            }
            begin(s, p);
        }
        s.watch().upstreamItem(true);
        if (s.usageRequested() && s.dialect().isRequestedUsage(event)) {
            return false; // the relay asked for it, the client did not
        }
        p.written++;
        if (s.client().textOnly()) {
            String text = s.dialect().text(event);
            if (text != null) {
                // The text is decoded: a key written with JSON escapes is whole only now.
                s.client().text(p.keys.scrubbed(text));
            }
        } else if (s.replay() != null) {
            if (event == read) {
                s.replay().event(bytes, offset, length);
            } else {
                s.replay().event(event);
            }
        } else if (event == read) {
            s.client().forward(bytes, offset, length, false);
        } else {
            s.client().write(event); // scrubbed: written anew, so nothing can inject a field
        }
        if (s.dialect().isTerminal(event)) {
            s.client().finish();
            s.transcript().end(Transcript.Outcome.DONE, 200, null);
            return true;
        }
        return false;
    }

    /**
     * Passes on a piece of an event too long to hold, as it was read but for the keys in it:
     * nothing else looks into such an event (it is no usage report, error or end that Sluice
     * acts on), and plain text gets none. The end of a piece that may begin a key goes out with
     * the next piece, so that a key cut between the two is found.
     */
    private static void pass(BlockScanner blocks, BlockScanner.Part part, Stream s, Progress p)
            throws ClientGoneException {
        if (!p.passing) {
            if (p.written == 0) {
                begin(s, p);
            }
            p.passing = true;
            p.written++;
            s.watch().upstreamItem(true);
            s.transcript().passed();
            if (p.pieces == null) {
                p.pieces = new ScrubbedPieces(p.keys);
            }
            p.pieces.reset();
        }
        s.transcript().passedBytes(blocks.length());
        boolean last = part == BlockScanner.Part.LAST_PIECE;
        ScrubbedPieces pieces = p.pieces;
        if (last) {
            pieces.end();
        } else {
            pieces.next(blocks.array(), blocks.offset(), blocks.length());
        }
        if (pieces.length() > 0) {
            piece(pieces.array(), pieces.offset(), pieces.length(), false, s);
        }
        if (last) {
            piece(blocks.array(), blocks.offset(), blocks.length(), true, s); // the blank line
            p.passing = false;
        }
    }

    /** Writes a piece to the log and the client, or to the client alone (none in plain text). */
    private static void piece(byte[] bytes, int offset, int length, boolean last, Stream s)
            throws ClientGoneException {
        if (s.replay() != null) {
            s.replay().piece(bytes, offset, length, last);
        } else if (!s.client().textOnly()) {
            s.client().forward(bytes, offset, length, !last);
        }
    }

    /**
     * A resumable stream halted on a draining route: its log ends as a stop or an abandon ends
     * it and is closed, so its readers see that end now, and the client's response ends after
     * it; the upstream is then read on from the part in hand, logged and written nowhere.
     */
    private void drainHalted(BlockScanner blocks, BlockScanner.Part inHand, Stream s,
            Progress p, Watch.Expiry why) throws ClientGoneException {
        boolean reading = !s.client().abandoned(); // a stream started without a client has none
        logEnd(s, p, why);
        s.replay().close(why == Watch.Expiry.STOPPED ? ReplayLog.Ending.STOPPED
                : ReplayLog.Ending.ABANDONED);
        if (reading) {
            s.client().end();
        }
        drain(blocks, inHand, s.unlogged(), p);
        s.transcript().end(why.outcome(), 200, why.message(timeouts));
    }

    /**
     * Reads the rest of a stream whose client left, writing nothing, so that its transcript gets
     * the usage the provider bills; the stream's time limits still apply.
     */
    private static void drain(BlockScanner blocks, Stream s, Progress p) {
        drain(blocks, null, s, p);
    }

    /** @param inHand the part read last, not yet looked at, or null */
    private static void drain(BlockScanner blocks, BlockScanner.Part inHand, Stream s,
            Progress p) {
        s.client().abandon();
        try {
            for (BlockScanner.Part part = inHand != null ? inHand : blocks.next(); part != null;
                    part = blocks.next()) {
                if (part == BlockScanner.Part.PIECE || part == BlockScanner.Part.LAST_PIECE) {
                    pass(blocks, part, s, p); // counted, and written nowhere
                } else if (part == BlockScanner.Part.EVENT) {
                    s.watch().upstreamItem(true);
                    if (!s.transcript().keepsContent() && !s.dialect().mayMatter(blocks.array(),
                            blocks.offset(), blocks.length())) {
                        s.transcript().count(blocks.length());
                    } else if (blocks.event() instanceof SseEvent event) {
                        s.transcript().record(event, blocks.length());
                        if (s.dialect().isTerminal(event)) {
                            return;
                        }
                    }
                }
            }
        } catch (IOException e) {
            // a failure or a time limit ends the drain: what was read is what is known
        }
    }

    /**
     * An error event before any content is a fault for the next route of the chain when the
     * upstream is throttled or failing, else answered as the HTTP error it stands for while the
     * response is uncommitted.
     */
    private boolean refusedAsError(Stream s, SseEvent event, Progress p)
            throws ClientGoneException {
        OptionalInt status = s.dialect().errorStatus(event);
        if (status.isEmpty()) {
            return false;
        }
        int code = status.getAsInt();
        if (s.fallible() && (code == 429 || code >= 500)) {
            p.fault = new Fault(new Refusal(code, code == 429 ? "rate_limit_error"
                    : "upstream_error", "the upstream's stream began with an error event ("
                    + code + ")"), "error_event", code != 429);
            return true;
        }
        if (!s.client().refuse(code, s.dialect().upstreamErrorBody(code,
                event.data().getBytes(StandardCharsets.UTF_8), redaction::scrub))) {
            return false;
        }
        s.transcript().end(Transcript.Outcome.UPSTREAM_ERROR, code,
                "error event before any content");
        return true;
    }

    /** The first content event: the held opening goes out before it. */
    private static void begin(Stream s, Progress p) throws ClientGoneException {
        s.began().run();
        release(s, p);
    }

    /**
     * Writes the preamble events held back, as they were read, now that the stream goes on:
     * content follows, or an error that must go in-band.
     */
    private static void release(Stream s, Progress p) throws ClientGoneException {
        for (byte[] block : p.held) {
            p.written++;
            if (s.replay() != null) {
                s.replay().event(block, 0, block.length);
            } else if (!s.client().textOnly()) {
                s.client().forward(block, 0, block.length, false);
            }
        }
        p.held.clear();
    }

    /** The upstream ended cleanly; an end before any event is a failure of the upstream. */
    private void ended(Stream s, Progress p) throws ClientGoneException {
        if (p.written == 0) {
            fail(s, new IOException(p.held.isEmpty()
                    ? "the upstream ended the stream without an event"
                    : "the upstream ended the stream after its opening, without content"), p,
                    "no_event");
            return;
        }
        s.client().finish();
        s.transcript().end(Transcript.Outcome.UPSTREAM_CLOSED, 200, null);
    }

    /** @param reason the fault's reason, if the chain takes the request on to its next route */
    private void fail(Stream s, IOException e, Progress p, String reason)
            throws ClientGoneException {
        Watch.Expiry why = s.watch().expiry();
        if (why == Watch.Expiry.CLIENT_GONE) {
            s.transcript().end(Transcript.Outcome.CLIENT_CLOSED, 200, null);
            return;
        }
        Watch.Expiry halted = s.replay() == null ? null : s.watch().halted();
        if (halted != null || why == Watch.Expiry.STOPPED && s.replay() != null) {
            // A halted stream cut off (a time limit, the shutdown) before its next item ends
            // as its stop or abandon would have.
            Watch.Expiry ended = halted != null ? halted : why;
            logEnd(s, p, ended);
            s.transcript().end(ended.outcome(), 200, ended.message(timeouts));
            return;
        }
        String message = why != null ? why.message(timeouts) : describe(e);
        String type = why != null ? why.type : "upstream_error";
        int status = why != null ? why.status : 502;
        Transcript.Outcome outcome = why != null ? why.outcome()
                : Transcript.Outcome.UPSTREAM_FAILED;
        if (p.written == 0 && s.fallible() && (why == null || why == Watch.Expiry.FIRST_EVENT)) {
            p.fault = new Fault(new Refusal(status, type, message),
                    why != null ? "first_event_timeout" : reason, true);
            return;
        }
        // Once an event has been written the stream has begun, flushed or not: errors go in-band.
        if (p.written == 0
                && s.client().refuse(status, s.dialect().errorBody(status, message, type))) {
            s.transcript().end(outcome, status, message);
            return;
        }
        release(s, p); // the stream goes on with its opening, to end with the error
        if (p.passing) {
            if (s.replay() != null) {
                s.replay().dropPiece();
            } else if (!s.client().textOnly()) {
                // The client holds part of an event: anything written now would join it, and a
                // blank line would dispatch it cut short. Ending the response makes every
                // parser drop it.
                s.transcript().end(outcome, 200, message);
                return;
            }
        }
        inBand(s, message, type);
        s.transcript().end(outcome, 200, message);
    }

    /**
     * The end of a resumable stream's log when it is stopped (the stopped end) or abandoned
     * (the error events); a client holding part of an event gets nothing more.
     */
    private void logEnd(Stream s, Progress p, Watch.Expiry why) throws ClientGoneException {
        if (why == Watch.Expiry.STOPPED) {
            if (p.passing) {
                s.replay().dropPiece();
            }
            s.replay().stopped(s.dialect());
            s.client().flush();
            return;
        }
        release(s, p); // the stream goes on with its opening, to end with the error
        if (p.passing) {
            s.replay().dropPiece();
        }
        inBand(s, why.message(timeouts), why.type);
    }

    /**
     * Answers a stream that never began, its chain having run out after a {@link Fault}: with
     * {@code status} and {@code body} while the response is uncommitted, else (heartbeats went
     * out while the upstreams were tried) in-band in the dialect's shape.
     */
    void refuse(Stream s, int status, byte[] body, String message, String type)
            throws ClientGoneException {
        if (!s.client().refuse(status, body)) {
            inBand(s, message, type);
        }
        s.transcript().end(Transcript.Outcome.UPSTREAM_ERROR, status, message);
    }

    /** {@link #refuse} with the refusal's own status and message, in the dialect's shape. */
    void refuse(Stream s, Refusal refusal) throws ClientGoneException {
        refuse(s, refusal.status(), s.dialect().errorBody(refusal.status(),
                refusal.getMessage(), refusal.type()), refusal.getMessage(), refusal.type());
    }

    /** The dialect's error events, and its end if it has one, as the stream's last. */
    private static void inBand(Stream s, String message, String type)
            throws ClientGoneException {
        if (s.replay() != null) {
            for (SseEvent event : s.dialect().errorEvents(message, type)) {
                s.replay().event(event);
            }
        } else if (s.client().textOnly()) {
            s.client().text("\n[error: " + message + "]\n");
        } else {
            for (SseEvent event : s.dialect().errorEvents(message, type)) {
                s.client().write(event);
            }
        }
        s.client().flush();
    }

    private String describe(IOException e) {
        String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        // The JDK says little ("closed", "EOF reached while reading"): say what it means.
        return "upstream stream failed: the connection to the upstream broke mid-answer ("
                + redaction.scrub(detail) + ")";
    }
}
