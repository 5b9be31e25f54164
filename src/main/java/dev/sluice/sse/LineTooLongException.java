package dev.sluice.sse;

import java.io.IOException;

/** A line of the event stream grew past the reader's bound; the stream cannot be trusted further. */
public final class LineTooLongException extends IOException {

    public LineTooLongException(int maxLineBytes) {
        super("event stream line longer than " + maxLineBytes + " bytes");
    }
}
