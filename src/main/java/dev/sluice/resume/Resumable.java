package dev.sluice.resume;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One resumable stream: its id, whose it is, its replay log and who reads it. One reader at a
 * time: a new one takes over and the older is ended. With no reader for the grace period, or on
 * a stop, the stream is ended through what the relay {@linkplain #bind bound}: its upstream is
 * cancelled or, on a draining route, read on after the log's end for its usage.
 * With Redis, readers anywhere are numbered there, the newest takes over from an older one on
 * any instance, and a stream relayed by another instance is a view of its log whose stop is
 * sent to that instance. Thread-safe.
 */
public final class Resumable {

    /** A reader's hold on the stream, ended when a newer reader takes over. */
    public static final class Reader {
        private final Runnable end;
        private final Resumable stream;
        /** Its number among the stream's readers on every instance (with Redis), else 0. */
        private final long number;
        private volatile boolean ended;

        private Reader(Runnable end, Resumable stream, long number) {
            this.end = end;
            this.stream = stream;
            this.number = number;
        }

        /** True once a newer reader took over, on this instance or another. */
        public boolean ended() {
            return ended || stream.shared != null
                    && stream.shared.channels().newestReader(stream.id) > number;
        }
    }

    private static final byte[] BLANK = {'\n', '\n'};

    private final String id;
    private final String owner;
    private final String route;
    private final ReplayLog log;
    private final Resumables home;
    /** The streams shared through Redis, or null when streams live in memory. */
    private final SharedStreams shared;
    /** This instance relays the stream (always so in memory). */
    private final boolean held;
    /** The first reader was counted when the stream was opened (with Redis). */
    private boolean firstCounted;
    /** {@code id: <stream>:}, the start of every id line. */
    private final byte[] idPrefix;
    private Reader reader;
    /** Counts attaches and detaches, so a grace check knows whether anything happened since. */
    private long epoch;
    private Runnable abandon;
    private Runnable stop;
    private boolean stopped;
    private boolean closed;
    /** Bytes of the event being gathered whole that count against the memory bound. */
    private long gathering;

    Resumable(String id, String owner, String route, ReplayLog log, Resumables home) {
        this(id, owner, route, log, home, null, true);
    }

    Resumable(String id, String owner, String route, ReplayLog log, Resumables home,
            SharedStreams shared, boolean held) {
        this.id = id;
        this.owner = owner;
        this.route = route;
        this.log = log;
        this.home = home;
        this.shared = shared;
        this.held = held;
        this.idPrefix = ("id: " + id + ":").getBytes(StandardCharsets.US_ASCII);
    }

    public String id() {
        return id;
    }

    /** The caller whose stream this is, or null when knowing its id is what lets one in. */
    public String owner() {
        return owner;
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

    /**
     * Counts {@code bytes} more of an event that the relay gathers whole for the log (one too
     * long to hold as it is read) against the memory bound all logs share, as this stream's
     * caller's; false when they do not fit even once room is made, and nothing is counted.
     */
    public boolean gather(long bytes) {
        if (!home.gather(owner, bytes)) {
            return false;
        }
        synchronized (this) {
            gathering += bytes;
        }
        return true;
    }

    /** The event being gathered is logged, lost or dropped: its bytes no longer count. */
    public void gathered() {
        long held;
        synchronized (this) {
            held = gathering;
            gathering = 0;
        }
        if (held > 0) {
            home.ungather(owner, held);
        }
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
        long number = 0;
        if (shared != null) {
            synchronized (this) {
                number = firstCounted ? 1 : 0;
                firstCounted = false;
            }
            if (number == 0) {
                number = shared.attach(id); // numbered before it can hear of itself
            }
        }
        Reader newer = new Reader(end, this, number);
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
        if (shared != null) {
            shared.detach(id, gone.number);
        }
        long at;
        synchronized (this) {
            if (reader != gone) {
                return;
            }
            reader = null;
            at = ++epoch;
        }
        if (held) {
            home.graceFrom(this, at);
        }
    }

    /** With Redis, opened with a client: that client is reader 1 without asking Redis. */
    synchronized void countFirst() {
        firstCounted = true;
    }

    /**
     * Reader {@code number} attached on some instance: an older reader here is ended, as by
     * {@link #attach}, and, with nobody else reading here, the grace period starts.
     */
    void takenOver(long number) {
        Reader older;
        long at;
        synchronized (this) {
            if (reader == null || reader.number >= number) {
                return;
            }
            older = reader;
            reader = null;
            at = ++epoch;
        }
        older.ended = true;
        home.noted("takeover");
        older.end.run();
        log.wake();
        home.graceFrom(this, at);
    }

    /** A reader on another instance is there: the grace period starts again from now. */
    void seenReader() {
        long at;
        synchronized (this) {
            if (reader != null || closed) {
                return;
            }
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

    /**
     * Cancels the upstream at once; the log then ends with a stopped end. A stream relayed by
     * another instance is asked to stop there.
     */
    public void stop() {
        if (!held) {
            shared.stop(id);
            return;
        }
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

    /**
     * Closes the log, when the relay thread is done with the upstream or, on a drain, done
     * logging; only the first close counts.
     */
    public void close(ReplayLog.Ending ending) {
        gathered(); // the relay may have left inside an event it was gathering
        synchronized (this) {
            if (closed) {
                return;
            }
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
