package dev.sluice.relay;

import dev.sluice.dialect.Dialect;
import dev.sluice.resume.ReplayLog;
import dev.sluice.resume.Resumable;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The relay thread's side of a resumable stream: each event goes into the replay log first,
 * with Sluice's id in place of any the upstream gave it, and then to the client, if one is
 * still there. An event too long to hold reaches the client in pieces as they come and the log
 * whole, its id line last (field order within a block does not matter to a parser, and so the
 * id also overrides any the upstream put among the pieces); what is gathered of it counts
 * against the memory bound as it grows. Not thread-safe: the relay thread's.
 */
final class ReplayWriter {

    private static final byte[] NO_FIELDS = new byte[0];
    private static final byte[] STOPPED = ": stopped\n".getBytes(StandardCharsets.US_ASCII);
    /**
     * One event gathered whole may take this part of the bound at most: a sixteenth, so that
     * sixteen streams gathering at once still fit it and a few cannot evict every other log.
     */
    private static final int GATHERED_PART = 16;
    private static final int FIRST_CAPACITY = 64 << 10;

    private final Resumable stream;
    private final ClientStream client;
    /** The most of one event too long to hold that is gathered for the log. */
    private final int maxPieces;
    /** Inside an event too long to hold. */
    private boolean passing;
    /** Past the most that may be gathered of the event being passed: it is not logged. */
    private boolean piecesLost;
    /** What is gathered of it; its capacity is what counts against the bound. */
    private byte[] pieces;
    private int gathered;

    /** @param memoryBytes the bound all replay logs share, a part of which one event may take */
    ReplayWriter(Resumable stream, ClientStream client, long memoryBytes) {
        this.stream = stream;
        this.client = client;
        this.maxPieces = (int) Math.min(memoryBytes / GATHERED_PART, Integer.MAX_VALUE - 8);
    }

    /** The priming block, {@code id: <stream>:0}: the client has an id to resume from. */
    void prime() throws ClientGoneException {
        client.event(NO_FIELDS, 0, 0, stream.idBlock(0));
        client.flush();
    }

    /** An event block as it was read, ending with its blank line. */
    void event(byte[] block, int offset, int length) throws ClientGoneException {
        byte[] fields = Resumable.fields(block, offset, length);
        long n = stream.appendFields(fields);
        client.event(fields, 0, fields.length, stream.idBlock(n));
    }

    /** An event Sluice wrote anew (scrubbed, or its own); any id it has is replaced. */
    void event(SseEvent event) throws ClientGoneException {
        event(NO_FIELDS, event);
    }

    private void event(byte[] before, SseEvent event) throws ClientGoneException {
        byte[] fields = fields(before, event);
        long n = stream.appendFields(fields);
        client.event(fields, 0, fields.length, stream.idBlock(n));
    }

    /** An event Sluice writes anew as the field lines a log keeps, without any id it has. */
    static byte[] fields(SseEvent event) {
        return fields(NO_FIELDS, event);
    }

    private static byte[] fields(byte[] before, SseEvent event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.writeBytes(before);
        try {
            new SseWriter(out).event(new SseEvent(event.type(), event.data(), null,
                    event.retry()));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        byte[] block = out.toByteArray();
        return Arrays.copyOf(block, block.length - 1); // without the blank line
    }

    /**
     * A piece of an event too long to hold; {@code last} is the blank line that ends it, in
     * whose place the client gets the id line and then the blank line.
     */
    void piece(byte[] bytes, int offset, int length, boolean last) throws ClientGoneException {
        if (!last) {
            if (!passing) {
                passing = true;
                piecesLost = false;
                gathered = 0;
            }
            if (!piecesLost && !gather(bytes, offset, length)) {
                // Larger than one event may take, or than the bound has room for now: it takes
                // its number, and a resume from before it finds the log trimmed, rather than a
                // log without it.
                piecesLost = true;
                pieces = null;
                stream.gathered();
            }
            client.forward(bytes, offset, length, true);
            return;
        }
        long n;
        if (piecesLost) {
            n = stream.log().appendLost();
        } else {
            byte[] fields = pieces == null ? NO_FIELDS
                    : gathered == pieces.length ? pieces : Arrays.copyOf(pieces, gathered);
            pieces = null;
            stream.gathered(); // the log counts the event itself now
            n = stream.appendFields(fields);
        }
        passing = false;
        byte[] end = stream.idBlock(n);
        client.forward(end, 0, end.length, false);
    }

    /**
     * Adds a piece to what is gathered, growing it by doubling up to the most one event may
     * take, each growth counted against the bound first; false when it does not fit.
     */
    private boolean gather(byte[] bytes, int offset, int length) {
        long needed = (long) gathered + length;
        if (needed > maxPieces) {
            return false;
        }
        int capacity = pieces == null ? 0 : pieces.length;
        if (needed > capacity) {
            int grown = (int) Math.min(maxPieces, Math.max(needed,
                    Math.max(FIRST_CAPACITY, 2L * capacity)));
            if (!stream.gather(grown - capacity)) {
                return false;
            }
            pieces = pieces == null ? new byte[grown] : Arrays.copyOf(pieces, grown);
        }
        System.arraycopy(bytes, offset, pieces, gathered, length);
        gathered += length;
        return true;
    }

    /**
     * The stream broke off inside an event too long to hold: its pieces are dropped, and the
     * client, which holds part of it, gets nothing more (its response ends, so it drops that
     * part); what follows goes into the log for a resume.
     */
    void dropPiece() {
        passing = false;
        pieces = null;
        stream.gathered();
        client.abandon();
    }

    /** Closes the log now, its end written: the relay reads on logging nothing (a drain). */
    void close(ReplayLog.Ending ending) {
        stream.close(ending);
    }

    /**
     * The end of a stopped stream: a {@code : stopped} comment, which parsers ignore, then the
     * dialect's normal end (OpenAI: {@code [DONE]}), or, for a dialect without one, the comment
     * alone under an id.
     */
    void stopped(Dialect dialect) throws ClientGoneException {
        List<SseEvent> end = dialect.stopEvents();
        if (end.isEmpty()) {
            long n = stream.appendFields(STOPPED);
            client.event(STOPPED, 0, STOPPED.length, stream.idBlock(n));
            return;
        }
        for (int i = 0; i < end.size(); i++) {
            event(i == 0 ? STOPPED : NO_FIELDS, end.get(i));
        }
    }
}
