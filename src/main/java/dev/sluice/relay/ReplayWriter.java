package dev.sluice.relay;

import dev.sluice.dialect.Dialect;
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
 * id also overrides any the upstream put among the pieces). Not thread-safe: the relay thread's.
 */
final class ReplayWriter {

    private static final byte[] NO_FIELDS = new byte[0];
    private static final byte[] STOPPED = ": stopped\n".getBytes(StandardCharsets.US_ASCII);

    private final Resumable stream;
    private final ClientStream client;
    /** The most of one event too long to hold that is gathered for the log. */
    private final long maxPieces;
    private ByteArrayOutputStream pieces;
    private boolean piecesLost;

    ReplayWriter(Resumable stream, ClientStream client, long maxPieces) {
        this.stream = stream;
        this.client = client;
        this.maxPieces = maxPieces;
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
            if (pieces == null) {
                pieces = new ByteArrayOutputStream();
                piecesLost = false;
            }
            if (!piecesLost && pieces.size() + (long) length <= maxPieces) {
                pieces.write(bytes, offset, length);
            } else if (!piecesLost) {
                // Larger than all logs may hold: it takes its number, and a resume from
                // before it finds the log trimmed, rather than a log without it.
                piecesLost = true;
                pieces = new ByteArrayOutputStream();
            }
            client.forward(bytes, offset, length, true);
            return;
        }
        byte[] fields = pieces == null ? NO_FIELDS : pieces.toByteArray();
        long n = piecesLost ? stream.log().appendLost() : stream.appendFields(fields);
        pieces = null;
        byte[] end = stream.idBlock(n);
        client.forward(end, 0, end.length, false);
    }

    /**
     * The stream broke off inside an event too long to hold: its pieces are dropped, and the
     * client, which holds part of it, gets nothing more (its response ends, so it drops that
     * part); what follows goes into the log for a resume.
     */
    void dropPiece() {
        pieces = null;
        client.abandon();
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
