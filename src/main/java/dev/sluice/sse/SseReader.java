package dev.sluice.sse;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/**
 * A blocking reader of a {@code text/event-stream} that follows the WHATWG parsing rules and
 * returns each event block and comment as it completes, decoded; a block longer than the bound
 * is an error here (the relay, which need not decode, uses {@link BlockScanner} and passes such
 * a block on). Call {@link #next()} from one thread.
 */
public final class SseReader implements Closeable {

    /** The default bound on one block's lines, in bytes: any model chunk, short of abuse. */
    public static final int DEFAULT_MAX_LINE_BYTES = 1 << 20;

    private final InputStream in;
    private final BlockScanner blocks;

    public SseReader(InputStream in) {
        this(in, DEFAULT_MAX_LINE_BYTES);
    }

    /** @param maxLineBytes the most bytes of one block's lines (without line ends) to accept */
    public SseReader(InputStream in, int maxLineBytes) {
        this.in = in;
        this.blocks = new BlockScanner(in, maxLineBytes);
    }

    /**
     * The next event block or comment, or null at the end of the stream. A block that is still
     * open at the end (no blank line after it) is dropped, as a browser drops it.
     *
     * @throws LineTooLongException when a block's lines exceed the bound
     */
    public SseItem next() throws IOException {
        for (BlockScanner.Part part = blocks.next(); part != null; part = blocks.next()) {
            switch (part) {
                case EVENT -> {
                    SseEvent event = blocks.event();
                    if (event != null) {
                        return event;
                    }
                }
                case COMMENT -> {
                    return new SseComment(blocks.comment());
                }
                case PIECE, LAST_PIECE -> throw new LineTooLongException(blocks.maxHeldBytes());
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        blocks.release();
        in.close();
    }
}
