package dev.sluice.relay;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;

/**
 * Reads what is left of an upstream body after its stream's terminal event, then closes it, on a
 * thread of its own so that the client's response ends at once. The body's end (the last chunk)
 * usually follows the terminal event at once: read to that end, the JDK client returns the
 * connection to its pool, and the next request reuses it; closed before it, the client cancels
 * the exchange and closes the connection, and the next request must open a new one. A body that
 * does not end within {@link #WAIT}, or sends more than {@link #MAX_BYTES}, is closed as before.
 */
final class UpstreamEnd {

    /** Long enough for a last chunk in flight, short enough that nothing lingers. */
    static final Duration WAIT = Duration.ofSeconds(2);
    /** More than a stray comment or two after the end is not an end in flight. */
    static final int MAX_BYTES = 8 * 1024;

    private final Watchdog watchdog;

    UpstreamEnd(Watchdog watchdog) {
        this.watchdog = watchdog;
    }

    /** Reads {@code body} to its end, or for {@link #WAIT} at most, then closes it. */
    void finish(InputStream body) {
        Thread.ofVirtual().name("sluice-upstream-end").start(() -> {
            // Closing wakes the read below; it runs off the timer thread, as Watch's closes do.
            ScheduledFuture<?> cut = watchdog.after(WAIT,
                    () -> Thread.ofVirtual().name("sluice-upstream-end").start(() -> close(body)));
            try {
                byte[] scratch = new byte[512];
                long left = MAX_BYTES;
                for (int n = body.read(scratch); n >= 0 && left > 0; n = body.read(scratch)) {
                    left -= n;
                }
            } catch (IOException e) {
                // cut at the limit, or the upstream broke: closed either way
            } finally {
                cut.cancel(false);
                close(body);
            }
        });
    }

    /** Closes a body, cancelling its exchange if it has not ended; nothing to do if that fails. */
    static void close(InputStream body) {
        try {
            body.close();
        } catch (IOException e) {
            // closing is all that was wanted
        }
    }
}
