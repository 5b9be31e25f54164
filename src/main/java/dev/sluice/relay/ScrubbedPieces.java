package dev.sluice.relay;

import dev.sluice.observe.KeyScrubber;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * The pieces of one event too long to hold, scrubbed of keys as they pass: the end of a piece
 * that may begin a key waits, to be looked at again with the next piece, so that a key cut
 * between two pieces is found whole. What may go out of the last piece given is
 * {@link #array()} from {@link #offset()}, valid until the next call. Not thread-safe: the relay
 * thread's.
 */
final class ScrubbedPieces {

    private final KeyScrubber keys;
    /** The end of the last piece, which may begin a key. */
    private byte[] waiting = new byte[0];
    private int waitingLength;
    /** What waits and the next piece, one after the other, when something waits. */
    private byte[] joined = new byte[0];
    /** What goes out of a piece in which a key was replaced. */
    private final ByteArrayOutputStream replaced = new ByteArrayOutputStream();

    private byte[] array;
    private int offset;
    private int length;

    ScrubbedPieces(KeyScrubber keys) {
        this.keys = keys;
    }

    /** A new event begins: nothing of the last one waits. */
    void reset() {
        waitingLength = 0;
    }

    /** The next piece, not the event's last: a key it may begin waits for the piece after it. */
    void next(byte[] b, int from, int n) {
        scrub(b, from, n, false);
    }

    /** The event ends: what waits goes out, now that no piece can complete a key in it. */
    void end() {
        scrub(waiting, 0, 0, true);
    }

    byte[] array() {
        return array;
    }

    int offset() {
        return offset;
    }

    int length() {
        return length;
    }

    private void scrub(byte[] b, int from, int n, boolean whole) {
        byte[] src = b;
        int start = from;
        int to = from + n;
        if (waitingLength > 0) {
            int all = waitingLength + n;
            if (joined.length < all) {
                joined = new byte[Math.max(all, 2 * joined.length)];
            }
            System.arraycopy(waiting, 0, joined, 0, waitingLength);
            System.arraycopy(b, from, joined, waitingLength, n);
            src = joined;
            start = 0;
            to = all;
            waitingLength = 0;
        }
        int i = keys.find(src, start, to, whole);
        if (i < 0) {
            out(src, start, to - start);
            return;
        }
        replaced.reset();
        int at = start;
        while (i >= 0) {
            long found = keys.match(src, i, to, whole);
            if (found == KeyScrubber.CUT) {
                hold(src, i, to);
                break;
            }
            replaced.write(src, at, i - at);
            replaced.writeBytes(keys.mark(found));
            at = KeyScrubber.end(found);
            i = keys.find(src, at, to, whole);
            if (i < 0) {
                replaced.write(src, at, to - at);
            }
        }
        if (replaced.size() == 0) {
            out(src, start, (i < 0 ? to : i) - start); // a key may begin at i: only the cut
        } else {
            if (i >= 0) {
                replaced.write(src, at, i - at);
            }
            byte[] bytes = replaced.toByteArray();
            out(bytes, 0, bytes.length);
        }
    }

    private void hold(byte[] src, int from, int to) {
        if (waiting.length < to - from) {
            waiting = Arrays.copyOf(waiting, Math.max(to - from, 2 * waiting.length));
        }
        System.arraycopy(src, from, waiting, 0, to - from);
        waitingLength = to - from;
    }

    private void out(byte[] b, int from, int n) {
        array = b;
        offset = from;
        length = n;
    }
}
