package dev.sluice.relay;

import dev.sluice.access.Refusal;
import dev.sluice.sse.SseItem;
import dev.sluice.sse.SseWriter;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The client's side of one stream. The relay thread writes events and the watchdog writes
 * heartbeats, one at a time under a lock, so a heartbeat always falls between two events. Nothing
 * is committed until the first flush, so until then the stream can still become an HTTP error.
 * On a resumable stream a client that leaves is not an error: writes stop, and the relay reads
 * on into the replay log.
 */
final class ClientStream {

    private static final byte[] KEEP_ALIVE = ": keep-alive\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PROBE = ":\n".getBytes(StandardCharsets.US_ASCII);

    private final ReentrantLock lock = new ReentrantLock();
    private final HttpServletResponse response;
    private final SseWriter writer;
    private final boolean textOnly;
    /** Flushes that sent something; written under the lock, read by the watchdog (opaque). */
    private final AtomicLong flushes = new AtomicLong();
    private volatile boolean abandoned;
    /** Whether the text written so far ends a line, or there is none (text mode; lock held). */
    private boolean textEndsLine = true;
    /** Part of an event has been written and the rest is to come: no heartbeat now (lock held). */
    private boolean inEvent;
    /** The request is over and the response no longer ours (lock held). */
    private boolean released;

    /** Runs once when a resumable stream's client leaves; null on a plain stream. */
    private final Runnable gone;

    /** @param textOnly the client asked for plain text: only text is written, no events */
    ClientStream(HttpServletResponse response, boolean textOnly) throws IOException {
        this(response, textOnly, null);
    }

    /**
     * A resumable stream's client: when it leaves, nothing more is written and {@code gone}
     * runs, instead of a {@link ClientGoneException}.
     */
    ClientStream(HttpServletResponse response, Runnable gone) throws IOException {
        this(response, false, gone);
    }

    private ClientStream(HttpServletResponse response, boolean textOnly, Runnable gone)
            throws IOException {
        this.response = response;
        this.writer = response == null ? null : new SseWriter(response.getOutputStream());
        this.textOnly = textOnly;
        this.gone = gone;
        this.abandoned = response == null;
    }

    /** A stream with no client from its start (one started by {@code POST .../streams}). */
    static ClientStream none() throws IOException {
        return new ClientStream(null, false, () -> { });
    }

    boolean textOnly() {
        return textOnly;
    }

    /** The client has gone: from now on nothing is written, so the upstream can be drained. */
    void abandon() {
        abandoned = true;
    }

    /** Whether nothing more is written: the client left, was taken over, or never was. */
    boolean abandoned() {
        return abandoned;
    }

    /** Writes plain text without flushing it (text mode). */
    void text(String text) throws ClientGoneException {
        if (abandoned) {
            return;
        }
        lock.lock();
        try {
            writer.raw(text);
            if (!text.isEmpty()) {
                textEndsLine = text.endsWith("\n");
            }
        } catch (IOException e) {
            left(e);
        } finally {
            lock.unlock();
        }
    }

    /** Writes an item without flushing it. */
    void write(SseItem item) throws ClientGoneException {
        if (abandoned) {
            return;
        }
        lock.lock();
        try {
            writer.write(item);
        } catch (IOException e) {
            left(e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes bytes of an event as they came, without flushing them.
     *
     * @param more more of the same event follows, so no heartbeat may come between
     */
    void forward(byte[] bytes, int offset, int length, boolean more) throws ClientGoneException {
        if (abandoned) {
            return;
        }
        lock.lock();
        try {
            inEvent = more;
            writer.raw(bytes, offset, length);
        } catch (IOException e) {
            left(e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes an event's field lines and then {@code end} (its id line and the blank line, or
     * the blank line alone), without flushing them: one write under the lock, as one event.
     */
    void event(byte[] fields, int offset, int length, byte[] end) throws ClientGoneException {
        if (abandoned) {
            return;
        }
        lock.lock();
        try {
            inEvent = false;
            writer.raw(fields, offset, length);
            writer.raw(end, 0, end.length);
        } catch (IOException e) {
            left(e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the response now, for a resumable stream whose newer reader took over: the client
     * sees the end of the body, and nothing more is written. May block on a slow client, so
     * it runs on a thread of its own.
     */
    void end() {
        abandoned = true;
        lock.lock();
        try {
            if (released) {
                return;
            }
            response.getOutputStream().close();
        } catch (IOException | RuntimeException e) {
            // the client is gone already: ended either way
        } finally {
            lock.unlock();
        }
    }

    /**
     * The request is over: from now on nothing touches the response, which the container may
     * already be reusing for the connection's next request.
     */
    void release() {
        abandoned = true;
        lock.lock();
        try {
            released = true;
        } finally {
            lock.unlock();
        }
    }

    /** A write failed: the client left. A resumable stream goes on without it. */
    private void left(IOException e) throws ClientGoneException {
        if (gone == null) {
            throw new ClientGoneException(e);
        }
        if (!abandoned) {
            abandoned = true;
            gone.run();
        }
    }

    /** Sends what was written; the first flush commits the status and headers. */
    void flush() throws ClientGoneException {
        if (abandoned) {
            return;
        }
        lock.lock();
        try {
            if (writer.flush()) {
                flushes.setOpaque(flushes.getPlain() + 1);
            }
        } catch (IOException e) {
            left(e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends the rest at the stream's end. Plain text gets a last newline if it has none, so that
     * what a terminal shows next (curl's prompt) starts on a line of its own.
     */
    void finish() throws ClientGoneException {
        if (textOnly) {
            lock.lock();
            try {
                if (!textEndsLine) {
                    text("\n");
                }
            } finally {
                lock.unlock();
            }
        }
        flush();
    }

    /**
     * How many times the client has been sent anything: a count, not a clock, so that a flush per
     * event costs no clock read; the watchdog notes when it changes.
     */
    long flushes() {
        return flushes.getOpaque();
    }

    /**
     * A {@code : keep-alive} comment, unless the relay thread is writing at this moment (then the
     * client is not idle anyway). Plain-text clients get none: the watch does not ask.
     *
     * @return false if the client has gone away
     */
    boolean heartbeat() {
        return comment(KEEP_ALIVE, true);
    }

    /**
     * The smallest comment, {@code :} alone, into a silence of a committed stream: a client
     * that closed its socket is found only by writing (the first write after the close still
     * succeeds, the next one fails), and this is the least there is to write. Jetty tells no
     * sooner: neither the request's failure listener nor its connection's close listener hears
     * of the close before a write fails. Not counted as a flush, so keep-alives still come.
     *
     * @return false if the client has gone away
     */
    boolean probe() {
        return comment(PROBE, false);
    }

    private boolean comment(byte[] line, boolean counted) {
        if (abandoned || !lock.tryLock()) {
            return true;
        }
        try {
            if (abandoned || inEvent) {
                // Released meanwhile (the response may be the next request's), or a comment
                // would land inside a line and become part of it.
                return true;
            }
            writer.raw(line, 0, line.length);
            writer.flush();
            if (counted) {
                flushes.setOpaque(flushes.getPlain() + 1);
            }
            return true;
        } catch (IOException e) {
            if (gone == null) {
                return false;
            }
            abandoned = true;
            gone.run(); // the lock is held: the relay thread cannot be running it too
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Answers with an HTTP error instead of the stream, if nothing has reached the client yet.
     *
     * @return false when the stream is already committed and the error must go in-band
     */
    boolean refuse(int status, byte[] json) throws ClientGoneException {
        if (response == null) {
            return false;
        }
        lock.lock();
        try {
            if (response.isCommitted()) {
                return false;
            }
            Refusal.takeBack(response);
            Refusal.sendJson(response, status, json);
            return true;
        } catch (IOException e) {
            left(e);
            return false;
        } finally {
            lock.unlock();
        }
    }
}
