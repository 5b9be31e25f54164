package dev.sluice.relay;

import dev.sluice.config.Timeouts;
import dev.sluice.observe.Transcript;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The watchdog's view of one stream: it sends heartbeats and probes into silences and, when a
 * time limit passes, the client leaves or the server stops, closes the upstream body so that
 * the relay thread, blocked on it, wakes and ends the stream; a resumable stream on a draining
 * route that is stopped or abandoned is {@linkplain #halt halted} instead, its upstream left
 * open. The relay thread reports progress with {@link #upstreamItem}; everything else runs on
 * the watchdog.
 */
final class Watch implements AutoCloseable {

    /** Why a stream was ended from outside its loop. */
    enum Expiry {
        FIRST_EVENT(504, "upstream_timeout", "upstream sent no event within "),
        IDLE(504, "upstream_timeout", "upstream sent nothing for "),
        STREAM(504, "upstream_timeout", "stream exceeded its time limit of "),
        SHUTDOWN(503, "server_shutting_down", "Sluice is shutting down; retry the request"),
        CLIENT_GONE(499, "client_closed", "client went away"),
        /** A resumable stream that nobody read for the grace period. */
        ABANDONED(499, "stream_abandoned", "nobody read the stream within the resume grace "
                + "period, so Sluice cancelled it"),
        /** A resumable stream stopped by {@code DELETE .../streams/{id}}. */
        STOPPED(499, "stream_stopped", "the stream was stopped");

        final int status;
        final String type;
        private final String message;

        Expiry(int status, String type, String message) {
            this.status = status;
            this.type = type;
            this.message = message;
        }

        /** How a stream that ended this way is recorded in its transcript. */
        Transcript.Outcome outcome() {
            return switch (this) {
                case SHUTDOWN -> Transcript.Outcome.SHUTDOWN;
                case CLIENT_GONE, ABANDONED, STOPPED -> Transcript.Outcome.CLIENT_CLOSED;
                default -> Transcript.Outcome.TIMEOUT;
            };
        }

        String message(Timeouts timeouts) {
            return switch (this) {
                case FIRST_EVENT -> message + timeouts.firstEvent().toMillis() + " ms";
                case IDLE -> message + timeouts.idle().toMillis() + " ms";
                case STREAM -> message + timeouts.stream().toMillis() + " ms";
                default -> message;
            };
        }
    }

    /**
     * How long a committed stream may be silent before it gets a {@linkplain ClientStream#probe
     * probe}. The second probe after a client closed its socket fails, and the watchdog's ticks
     * (two per this) keep probes at most 375 ms apart: a gone client is found within 0.75 s.
     */
    static final Duration PROBE = Duration.ofMillis(250);

    private final Timeouts timeouts;
    private final ClientStream client;
    private final Closeable upstream;
    private final Consumer<Watch> release;
    private final boolean drain;
    private final long startNanos = System.nanoTime();
    private final AtomicBoolean commentPending = new AtomicBoolean();
    /** Items the relay thread has read; it alone writes, the watchdog reads (opaque both). */
    private final AtomicLong items = new AtomicLong();
    /** On the watchdog: the count at its last look, and when it last saw the count change. */
    private long itemsSeen;
    private long lastItemNanos = startNanos;
    /** On the watchdog: the client's flush count at its last look, and when it last changed. */
    private long flushesSeen;
    private long lastFlushNanos = startNanos;
    /** On the watchdog: when it last started a probe. */
    private long lastProbeNanos = startNanos;
    private volatile boolean sawEvent;
    private volatile Expiry expiry;
    /**
     * Why a resumable stream on a draining route was stopped or abandoned while its upstream is
     * read on for its usage, or null; the relay thread looks at each item.
     */
    private volatile Expiry halted;
    /** The drain permit a halt holds until the watch is closed (guarded by this). */
    private Semaphore haltPermit;
    private boolean closed;

    /**
     * @param client null for a non-streamed answer, which gets no heartbeats
     * @param drain the route drains its upstream when the client leaves
     */
    Watch(Timeouts timeouts, ClientStream client, Closeable upstream, Consumer<Watch> release,
            boolean drain) {
        this.timeouts = timeouts;
        this.client = client;
        this.upstream = upstream;
        this.release = release;
        this.drain = drain;
    }

    /**
     * From the relay thread: the upstream sent an event ({@code true}) or a comment. It only
     * counts, with no clock read and no fence; the watchdog notes the time when it sees the
     * count change.
     */
    void upstreamItem(boolean event) {
        items.setOpaque(items.getPlain() + 1);
        if (event && !sawEvent) {
            sawEvent = true;
        }
    }

    /** Why the stream was ended from outside, or null if it was not. */
    Expiry expiry() {
        return expiry;
    }

    /** Ends the stream from outside: closing the upstream wakes the relay thread. */
    void expire(Expiry why) {
        if (expiry != null) {
            return;
        }
        expiry = why;
        Thread.ofVirtual().name("sluice-expire").start(() -> {
            try {
                upstream.close();
            } catch (IOException e) {
                // it is closed either way
            }
        });
    }

    /** Why the stream was halted (stopped or abandoned, read on for its usage), or null. */
    Expiry halted() {
        return halted;
    }

    /**
     * Ends a resumable stream from outside without closing its upstream: the relay thread, at
     * its next item, ends the log and reads on, writing nothing, for the usage; the time limits
     * still apply. Takes one of {@code drains}, held until the watch is closed.
     *
     * @return false, with nothing done, when no permit is left or the stream is over already
     */
    synchronized boolean halt(Expiry why, Semaphore drains) {
        if (halted != null) {
            return true;
        }
        if (closed || expiry != null || !drains.tryAcquire()) {
            return false;
        }
        haltPermit = drains;
        halted = why;
        return true;
    }

    /** On the watchdog thread, every tick. */
    void check() {
        if (expiry != null) {
            return;
        }
        long now = System.nanoTime();
        long count = items.getOpaque();
        if (count != itemsSeen) {
            // The item came since the last tick: a silence is timed from the tick that saw its
            // end, so an idle limit is kept within two ticks (half of itself), never cut short.
            itemsSeen = count;
            lastItemNanos = now;
        }
        if (client != null) {
            long flushed = client.flushes();
            if (flushed != flushesSeen) {
                flushesSeen = flushed;
                lastFlushNanos = now;
            }
        }
        if (now - startNanos > timeouts.stream().toNanos()) {
            expire(Expiry.STREAM);
        } else if (!sawEvent && now - startNanos > timeouts.firstEvent().toNanos()) {
            expire(Expiry.FIRST_EVENT);
        } else if (sawEvent && now - lastItemNanos > timeouts.idle().toNanos()) {
            expire(Expiry.IDLE);
        } else if (client != null && !client.textOnly() && !client.abandoned()) {
            if (now - lastFlushNanos >= timeouts.heartbeat().toNanos()) {
                write(client::heartbeat);
            } else if (flushesSeen > 0 && now - Math.max(lastFlushNanos, lastProbeNanos)
                    >= PROBE.toNanos() && write(client::probe)) {
                lastProbeNanos = now;
            }
        }
    }

    /**
     * Writes a comment to the client on a thread of its own, unless one is still being written:
     * a write can block on a slow client, so it never runs on the watchdog thread.
     *
     * @return whether the write was started
     */
    private boolean write(BooleanSupplier comment) {
        if (!commentPending.compareAndSet(false, true)) {
            return false;
        }
        Thread.ofVirtual().name("sluice-heartbeat").start(() -> {
            // A draining route lets the relay thread find out at its next write instead.
            if (!comment.getAsBoolean() && !drain) {
                expire(Expiry.CLIENT_GONE);
            }
            commentPending.set(false);
        });
        return true;
    }

    @Override
    public void close() {
        Semaphore permit;
        synchronized (this) {
            closed = true;
            permit = haltPermit;
            haltPermit = null;
        }
        if (permit != null) {
            permit.release();
        }
        release.accept(this);
    }
}
