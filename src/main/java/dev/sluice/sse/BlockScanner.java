package dev.sluice.sse;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits an event stream into its event blocks and comment lines as bytes, by the WHATWG rules
 * (CR, LF or CRLF end a line, a blank line ends a block, one leading BOM is skipped), without
 * decoding them. A block is held whole up to a bound on its lines' bytes; a longer one is handed
 * on in pieces as they are read, so a line of any length passes with bounded memory. Every line
 * handed on ends in LF, whatever ended it upstream. Not thread-safe.
 */
public final class BlockScanner {

    /** What {@link #next()} found; its bytes are {@link #array()} from {@link #offset()}. */
    public enum Part {
        /** A whole event block, its field lines and the blank line that ended it. */
        EVENT,
        /** A comment line, which may fall inside a block; it is not part of the block's bytes. */
        COMMENT,
        /** Part of a block too long to hold; more of the block follows. */
        PIECE,
        /** The last part of a block too long to hold, ending with the blank line. */
        LAST_PIECE
    }

    private static final int HELD_BYTES = 256;
    /** A held array grown past this is let go once its block has been handed on. */
    private static final int KEPT_BYTES = 16 * 1024;

    private final InputStream in;
    private final int maxHeldBytes;
    /**
     * What was read and is being scanned: a few typical events. Taken from {@link ReadBuffers}
     * once a byte has come and given back when all of it is scanned, so a waiting stream holds
     * none.
     */
    private byte[] buffer;
    private int position;
    private int limit;
    private boolean skipLf;
    private boolean atStreamStart = true;

    /** The field lines of the open block, each ending in LF, then any part of the next line. */
    private byte[] held = new byte[HELD_BYTES];
    private int heldLength;
    private int lineStart;
    /** Bytes of held lines without their line ends: what the bound counts. */
    private int heldContent;
    /** The open block has a field that makes a browser dispatch it (data, id or retry). */
    private boolean dispatches;
    /** The open block is too long to hold and is being handed on in pieces. */
    private boolean passing;
    /** Bytes of the current line already handed on while passing. */
    private long passedLine;
    /** A comment line too long to hold is being skipped. */
    private boolean skipping;

    private byte[] partArray;
    private int partOffset;
    private int partLength;
    private boolean releaseHeld;

    /** @param maxHeldBytes the most bytes of one block's lines (without line ends) to hold */
    public BlockScanner(InputStream in, int maxHeldBytes) {
        if (maxHeldBytes < 1) {
            throw new IllegalArgumentException("maxHeldBytes must be positive: " + maxHeldBytes);
        }
        this.in = in;
        this.maxHeldBytes = maxHeldBytes;
    }

    /**
     * The next block, comment or piece of a long block, or null at the end of the stream. A
     * block still open at the end is dropped, as a browser drops it (of a long one, the pieces
     * handed on so far stay handed on). A block without data, id or retry is skipped: a browser
     * ignores it.
     */
    public Part next() throws IOException {
        if (releaseHeld) {
            releaseHeld = false;
            held = new byte[HELD_BYTES];
        }
        while (true) {
            if (position == limit && !fill()) {
                return null;
            }
            if (skipLf) {
                skipLf = false;
                if (buffer[position] == '\n') {
                    position++;
                    continue;
                }
            }
            int start = position;
            int end = lineEnd(start);
            if (passing) {
                return pass(start, end);
            }
            if (skipping) {
                position = end < limit ? end + 1 : limit;
                if (end < limit) {
                    skipping = false;
                    skipLf = buffer[end] == '\r';
                }
                continue;
            }
            int length = end - start;
            if (heldContent + (heldLength - lineStart) + length > maxHeldBytes) {
                Part part = overflow(start);
                if (part != null) {
                    return part;
                }
                continue;
            }
            if (end == limit) {
                keep(start, length);
                position = limit;
                continue;
            }
            position = end + 1;
            skipLf = buffer[end] == '\r';
            if (length == 0 && heldLength == lineStart) {
                if (heldLength > 0 && dispatches) {
                    keepLf();
                    return part(Part.EVENT, held, 0, heldLength);
                }
                reset();
                continue;
            }
            keep(start, length);
            keepLf();
            spaceAfterColon();
            if (held[lineStart] == ':') {
                int at = lineStart;
                int n = heldLength - lineStart;
                heldLength = lineStart; // not part of the block: the next line overwrites it
                return part(Part.COMMENT, held, at, n);
            }
            heldContent += heldLength - lineStart - 1;
            if (!dispatches) {
                dispatches = dispatches(lineStart, heldLength - 1);
            }
            lineStart = heldLength;
        }
    }

    /** The array holding what {@link #next()} returned, valid until it is called again. */
    public byte[] array() {
        return partArray;
    }

    public int offset() {
        return partOffset;
    }

    public int length() {
        return partLength;
    }

    /** The bound on the bytes of one held block. */
    public int maxHeldBytes() {
        return maxHeldBytes;
    }

    /**
     * The block {@link #next()} returned as {@link Part#EVENT}, parsed (data lines joined with
     * LF, a space after the colon dropped, unknown fields ignored); null when a browser would
     * dispatch nothing for it.
     */
    public SseEvent event() {
        return BlockDecoder.event(partArray, partOffset, partLength);
    }

    /** An event block's bytes as {@link #next()} hands them on, parsed as {@link #event()} is. */
    public static SseEvent event(byte[] bytes, int offset, int length) {
        return BlockDecoder.event(bytes, offset, length);
    }

    /** The text of the comment {@link #next()} returned as {@link Part#COMMENT}. */
    public String comment() {
        int from = partOffset + 1;
        int to = partOffset + partLength - 1; // without the LF
        if (from < to && partArray[from] == ' ') {
            from++;
        }
        return BlockDecoder.text(partArray, from, to - from);
    }

    /** The first line end at or after {@code from}, or {@link #limit} when none is in hand. */
    private int lineEnd(int from) {
        byte[] b = buffer;
        int i = from;
        while (i < limit && b[i] != '\n' && b[i] != '\r') {
            i++;
        }
        return i;
    }

    /**
     * The held block, with the current line, grew past the bound: a comment is skipped, a block
     * is handed on from here in pieces, starting with what was held.
     */
    private Part overflow(int start) {
        boolean comment = heldLength > lineStart ? held[lineStart] == ':'
                : buffer[start] == ':';
        if (comment) {
            heldLength = lineStart;
            skipping = true;
            return null;
        }
        passing = true;
        passedLine = heldLength - lineStart;
        int n = heldLength;
        heldLength = 0;
        lineStart = 0;
        heldContent = 0;
        dispatches = false;
        if (held.length > KEPT_BYTES) {
            releaseHeld = true;
        }
        return n == 0 ? null : part(Part.PIECE, held, 0, n);
    }

    /** The next piece of a block being handed on: up to a line end or what is in hand. */
    private Part pass(int start, int end) {
        if (end == limit) {
            position = limit;
            passedLine += end - start;
            return part(Part.PIECE, buffer, start, end - start);
        }
        position = end + 1;
        skipLf = buffer[end] == '\r';
        buffer[end] = '\n'; // CR and CRLF go on as LF; the CR is already read past
        boolean blank = passedLine == 0 && end == start;
        passedLine = 0;
        if (blank) {
            passing = false;
            return part(Part.LAST_PIECE, buffer, start, 1);
        }
        return part(Part.PIECE, buffer, start, end - start + 1);
    }

    private Part part(Part part, byte[] array, int offset, int length) {
        if (part == Part.EVENT) {
            int heldSize = held.length;
            reset();
            releaseHeld = heldSize > KEPT_BYTES;
        }
        partArray = array;
        partOffset = offset;
        partLength = length;
        return part;
    }

    private void reset() {
        heldLength = 0;
        lineStart = 0;
        heldContent = 0;
        dispatches = false;
    }

    private void keep(int start, int length) {
        ensure(heldLength + length + 1);
        System.arraycopy(buffer, start, held, heldLength, length);
        heldLength += length;
    }

    private void keepLf() {
        ensure(heldLength + 1);
        held[heldLength++] = '\n';
    }

    private void ensure(int needed) {
        if (needed > held.length) {
            // Doubling stops at the bound (plus the line ends), so a full block is held once.
            int grown = Math.min(held.length * 2, maxHeldBytes + 64);
            held = Arrays.copyOf(held, Math.max(needed, grown));
        }
    }

    /**
     * Puts a space after the first colon of the held line (a field's or a comment's) when there
     * is none, as Sluice has always written them: a client that looks for {@code "data: "} still
     * finds it, and to a parser the value is the same (one space after the colon is dropped).
     */
    private void spaceAfterColon() {
        int end = heldLength - 1;
        int colon = lineStart;
        while (colon < end && held[colon] != ':') {
            colon++;
        }
        if (colon == end || held[colon + 1] == ' ') {
            return;
        }
        ensure(heldLength + 1);
        System.arraycopy(held, colon + 1, held, colon + 2, heldLength - colon - 1);
        held[colon + 1] = ' ';
        heldLength++;
    }

    /** True for a {@code data}, {@code id} or {@code retry} line (WHATWG 9.2.6). */
    private boolean dispatches(int from, int to) {
        return isField(from, to, DATA) || isField(from, to, ID) || isField(from, to, RETRY);
    }

    private static final byte[] DATA = {'d', 'a', 't', 'a'};
    private static final byte[] ID = {'i', 'd'};
    private static final byte[] RETRY = {'r', 'e', 't', 'r', 'y'};

    private boolean isField(int from, int to, byte[] name) {
        int end = from + name.length;
        if (end > to || (end < to && held[end] != ':')) {
            return false;
        }
        return Arrays.equals(held, from, end, name, 0, name.length);
    }

    /**
     * Gives the read buffer back to the pool; the parts handed on so far are no longer valid.
     * A scanner does so itself before it waits for more; a stream that is over without waiting
     * again (at its terminal event, say) calls it, or its buffer is left to the garbage collector.
     */
    public void release() {
        if (buffer != null) {
            ReadBuffers.give(buffer);
            buffer = null;
        }
        position = 0;
        limit = 0;
    }

    private boolean fill() throws IOException {
        release(); // every part in the buffer has been handed on and used
        int first = in.read(); // waits, holding no buffer
        if (first < 0) {
            return false;
        }
        buffer = ReadBuffers.take();
        buffer[0] = (byte) first;
        int n = in.available() > 0 ? in.read(buffer, 1, buffer.length - 1) : 0;
        limit = 1 + Math.max(n, 0);
        if (atStreamStart) {
            atStreamStart = false;
            skipBom();
        }
        return position < limit || fill();
    }

    /** WHATWG: one leading U+FEFF is skipped; any later one is an ordinary character. */
    private void skipBom() throws IOException {
        while (limit < 3 && startsLikeBom()) {
            int n = in.read(buffer, limit, buffer.length - limit);
            if (n < 0) {
                break;
            }
            limit += n;
        }
        if (limit >= 3 && buffer[0] == (byte) 0xEF && buffer[1] == (byte) 0xBB
                && buffer[2] == (byte) 0xBF) {
            position = 3;
        }
    }

    /** The bytes in hand could still begin a BOM: more are read only then, never to wait. */
    private boolean startsLikeBom() {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        return Arrays.equals(buffer, 0, limit, bom, 0, limit);
    }
}
