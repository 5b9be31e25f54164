package dev.sluice.resume;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One resumable stream: its id, whose it is, its replay log and who reads it. One reader at a
 * time: a new one takes over and the older is ended. With no reader for the grace period, or on
 * a stop, the stream's upstream is cancelled through what the relay {@linkplain #bind bound}.
 * Thread-safe.
 */
public final class Resumable {

    /** A reader's hold on the stream, ended when a newer reader takes over. */
    public static final class Reader {
        private final Runnable end;
        private volatile boolean ended;

        private Reader(Runnable end) {
            this.end = end;
        }

        /** True once a newer reader took over. */
        public boolean ended() {
            return ended;
        }
    }

    private static final byte[] BLANK = {'\n', '\n'};

    private final String id;
    private final String owner;
    private final String route;
    private final ReplayLog log;
    private final Resumables home;
    /** {@code id: <stream>:}, the start of every id line. */
    private final byte[] idPrefix;
    private Reader reader;
    /** Counts attaches and detaches, so a grace check knows whether anything happened since. */
    private long epoch;
    private Runnable abandon;
    private Runnable stop;
    private boolean stopped;
    private boolean closed;

    Resumable(String id, String owner, String route, ReplayLog log, Resumables home) {
        this.id = id;
        this.owner = owner;
        this.route = route;
        this.log = log;
        this.home = home;
        this.idPrefix = ("id: " + id + ":").getBytes(StandardCharsets.US_ASCII);
    }

    public String id() {
        return id;
    }

    /** The route the stream was opened on: it is resumed there only. */
    public String route() {
        return route;
    }

    public ReplayLog log() {
        return log;
    }

    /**
     * Whether {@code caller} may read or stop the stream: the caller that opened it, or anyone
     * who knows the id when it was opened without an identity.
     *
     * @param caller the identity of the caller, or null for none
     */
    public boolean mayUse(String caller) {
        return owner == null || owner.equals(caller);
    }

    /**
     * The field lines of an event block as the relay read it (field lines each ending in LF,
     * then the blank line), copied, without the upstream's own {@code id} lines, which Sluice's
     * id replaces; only a block a cheap look finds one in is copied line by line.
     */
    public static byte[] fields(byte[] block, int offset, int length) {
        int end = offset + length - 1; // the blank line's LF
        return hasIdLine(block, offset, end) ? withoutIdLines(block, offset, end)
                : Arrays.copyOfRange(block, offset, end);
    }

    /**
     * Appends an event's field lines (without an id line or the blank line).
     *
     * @return the event's number
     */
    public long appendFields(byte[] fields) {
        return log.append(fields);
    }

    /** The lines that end event {@code n}: {@code id: <stream>:<n>} and the blank line. */
    public byte[] idBlock(long n) {
        byte[] digits = Long.toString(n).getBytes(StandardCharsets.US_ASCII);
        byte[] line = Arrays.copyOf(idPrefix, idPrefix.length + digits.length + 2);
        System.arraycopy(digits, 0, line, idPrefix.length, digits.length);
        System.arraycopy(BLANK, 0, line, idPrefix.length + digits.length, 2);
        return line;
    }

    /** The event id of event {@code n} as a client sends it back: {@code <stream>:<n>}. */
    public String eventId(long n) {
        return id + ":" + n;
    }

    /**
     * Makes {@code end} the stream's reader; the reader before it, if any, is ended (its
     * {@code end} runs) and told so.
     */
    public Reader attach(Runnable end) {
        Reader older;
        Reader newer = new Reader(end);
        synchronized (this) {
            older = reader;
            reader = newer;
            epoch++;
        }
        if (older != null) {
            older.ended = true;
            home.noted("takeover");
            older.end.run();
            log.wake();
        }
        return newer;
    }

    /** The reader has gone; with nobody else reading, the grace period starts. */
    public void detach(Reader gone) {
        long at;
        synchronized (this) {
            if (reader != gone) {
                return;
            }
            reader = null;
            at = ++epoch;
        }
        home.graceFrom(this, at);
    }

    /**
     * What cancels the stream's upstream: {@code abandon} when the grace period passes without
     * a reader, {@code stop} on a stop. A stop asked for before this runs at once.
     */
    public void bind(Runnable abandon, Runnable stop) {
        boolean stopNow;
        synchronized (this) {
            this.abandon = abandon;
            this.stop = stop;
            stopNow = stopped;
        }
        if (stopNow) {
            stop.run();
        }
    }

    /** Cancels the upstream at once; the log then ends with a stopped end. */
    public void stop() {
        Runnable action;
        synchronized (this) {
            if (stopped || closed) {
                return;
            }
            stopped = true;
            action = stop;
        }
        home.noted("stopped");
        if (action != null) {
            action.run();
        }
    }

    /** Closes the log: called once, when the relay thread is done with the upstream. */
    public void close(ReplayLog.Ending ending) {
        synchronized (this) {
            closed = true;
        }
        log.close(ending);
        home.finished(this);
    }

    /** From the grace timer: cancels the upstream if nobody has read since {@code at}. */
    void graceEnded(long at) {
        Runnable action;
        synchronized (this) {
            if (closed || reader != null || epoch != at || abandon == null) {
                return;
            }
            action = abandon;
        }
        home.noted("grace_expired");
        action.run();
    }

    /** True for a block with an {@code id} field line (WHATWG: {@code id} or {@code id:...}). */
    private static boolean hasIdLine(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if ((i == from || b[i - 1] == '\n') && isIdLine(b, i, to)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isIdLine(byte[] b, int i, int to) {
        // Every field line ends in LF before the blank line at `to`, so i + 2 < to suffices.
        return i + 2 < to && b[i] == 'i' && b[i + 1] == 'd'
                && (b[i + 2] == ':' || b[i + 2] == '\n');
    }

    private static byte[] withoutIdLines(byte[] b, int from, int to) {
        byte[] kept = new byte[to - from];
        int length = 0;
        int line = from;
        for (int i = from; i < to; i++) {
            if (b[i] == '\n') {
                if (!isIdLine(b, line, to)) {
                    System.arraycopy(b, line, kept, length, i + 1 - line);
                    length += i + 1 - line;
                }
                line = i + 1;
            }
        }
        return Arrays.copyOf(kept, length);
    }
}
