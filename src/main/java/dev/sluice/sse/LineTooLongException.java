package dev.sluice.sse;

import java.io.IOException;

/** A line of the event stream grew past the reader's bound; the rest cannot be trusted. */
public final class LineTooLongException extends IOException {

    public LineTooLongException(int maxLineBytes) {
        super("event stream line longer than " + maxLineBytes + " bytes");
    }
}
