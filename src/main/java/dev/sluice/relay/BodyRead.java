package dev.sluice.relay;

import dev.sluice.access.Refusal;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ScheduledFuture;

/**
 * One request body read under the watchdog, which cuts the read off with 408 when the client
 * sends the body slower than the minimum rate. Only the time a read waits for the client counts,
 * and only from its first second on: Jetty's own check timed every read() against the body's
 * first byte, so a small body was answered 408 when its reader was held up (a GC pause, a busy
 * machine) or its last chunk came a moment after the rest. The reading thread and the watchdog
 * meet under this object's lock, so the watchdog interrupts the reader only inside a read.
 */
final class BodyRead {

    /** The waiting a body is allowed before its rate is judged. */
    private static final long GRACE_NANOS = 1_000_000_000L;
    /** How often the watchdog looks at a body being read. */
    private static final Duration LOOK = Duration.ofMillis(250);

    private final Watchdog watchdog;
    private final int minRate;
    private final Thread reader = Thread.currentThread();
    /** Guarded by this: bytes read, the waiting of the reads that returned, and the current one. */
    private long received;
    private long waited;
    private boolean reading;
    private long readSince;
    private boolean cut;
    private ScheduledFuture<?> look;

    private BodyRead(Watchdog watchdog, int minRate) {
        this.watchdog = watchdog;
        this.minRate = minRate;
    }

    /**
     * Reads {@code wanted} bytes of {@code in}, or fewer when it ends first, at the watchdog's
     * {@linkplain Watchdog#minBodyRate minimum rate}.
     */
    static byte[] read(InputStream in, int wanted, Watchdog watchdog)
            throws IOException, Refusal {
        return watchdog.minBodyRate() == 0 ? in.readNBytes(wanted)
                : new BodyRead(watchdog, watchdog.minBodyRate()).watched(in, wanted, true);
    }

    /** Reads and drops up to {@code atMost} bytes of {@code in}, at the same minimum rate. */
    static void discard(InputStream in, long atMost, Watchdog watchdog)
            throws IOException, Refusal {
        if (watchdog.minBodyRate() == 0) {
            byte[] buffer = new byte[8192];
            long read = 0;
            for (int n = in.read(buffer); n >= 0 && read <= atMost; n = in.read(buffer)) {
                read += n;
            }
            return;
        }
        new BodyRead(watchdog, watchdog.minBodyRate()).watched(in, atMost + 1, false);
    }

    /** The bytes read when {@code keep}, else null. */
    private byte[] watched(InputStream in, long wanted, boolean keep)
            throws IOException, Refusal {
        synchronized (this) {
            look = watchdog.after(LOOK, this::look);
        }
        try {
            byte[] body = new byte[(int) Math.min(wanted, 8192)];
            int at = 0;
            for (long length = 0; length < wanted; ) {
                if (at == body.length) {
                    body = keep ? Arrays.copyOf(body, (int) Math.min(wanted, 2L * at)) : body;
                    at = keep ? at : 0;
                }
                int n;
                begin();
                try {
                    n = in.read(body, at, (int) Math.min(body.length - at, wanted - length));
                } catch (IOException e) {
                    end(0);
                    throw e;
                }
                end(Math.max(n, 0));
                if (n < 0) {
                    break;
                }
                at += n;
                length += n;
            }
            return !keep ? null : at == body.length ? body : Arrays.copyOf(body, at);
        } finally {
            stop();
        }
    }

    private synchronized void begin() {
        reading = true;
        readSince = System.nanoTime();
    }

    /** After a read: a cut one is refused, with the watchdog's interrupt taken back. */
    private synchronized void end(int n) throws Refusal {
        waited += System.nanoTime() - readSince;
        reading = false;
        received += n;
        if (cut) {
            Thread.interrupted();
            throw new Refusal(408, "invalid_request_error", "the request body came slower than "
                    + minRate + " bytes per second");
        }
    }

    /** On the watchdog: cuts a read that waits for a client too slow, else looks again later. */
    private synchronized void look() {
        if (look == null) {
            return;
        }
        long all = waited + (reading ? System.nanoTime() - readSince : 0);
        if (reading && all >= GRACE_NANOS && received < (double) minRate * all / 1e9) {
            cut = true;
            reader.interrupt(); // a blocked servlet read ends with an IOException
        } else {
            look = watchdog.after(LOOK, this::look);
        }
    }

    private synchronized void stop() {
        if (look != null) {
            look.cancel(false);
            look = null;
        }
    }
}
