package dev.sluice.resume;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * A replay log in a Redis stream, one entry per event with the id {@code <n>-0}: the holder's
 * log numbers events itself and has Redis take each before its client gets it (while Redis
 * answers); any instance reads it, waking on the stream's channel and looking again at least
 * once a {@link SharedStreams#pollNanos poll} (a second by default).
 * Reads fail as {@link LogUnavailable} while Redis does not answer. Thread-safe.
 */
final class RedisLog implements ReplayLog {

    /**
     * Entries handed to a reader at once, so a long replay is written in a few flushes; fewer
     * when they are large ({@link SharedStreams#LOOK_BYTES}).
     */
    private static final int BATCH = 256;

    private final SharedStreams shared;
    private final Channels channels;
    private final Keeper keeper;
    private final String id;
    private final String route;
    /** This instance relays the stream and appends to the log. */
    private final boolean holder;
    private final AtomicLong last = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    /** The last append's landing; the close is sent once it is answered. */
    private volatile CompletableFuture<Boolean> appended = CompletableFuture.completedFuture(true);
    /**
     * Appends wait until Redis has each one, until one fails; then they go without waiting, so
     * that a Redis away never holds a live client back, until one lands again.
     */
    private volatile boolean waiting = true;
    /**
     * Some reader, on any instance, follows the stream through Redis: only then is each append
     * announced on its channel, which halves what a stream nobody resumes costs Redis.
     */
    private volatile boolean followed;
    /**
     * The reader number of the client that came with the stream (1), or 0 for none: the holder
     * writes to it as it relays, so it follows nothing through Redis.
     */
    private volatile long ownReader;
    private final CountDownLatch closed = new CountDownLatch(1);

    RedisLog(SharedStreams shared, String id, String route, boolean holder) {
        this.shared = shared;
        this.channels = shared.channels();
        this.keeper = shared.keeper();
        this.id = id;
        this.route = route;
        this.holder = holder;
    }

    @Override
    public long append(byte[] fields) {
        if (closed.getCount() == 0) {
            throw new IllegalStateException("the log is closed");
        }
        long n = last.incrementAndGet();
        CompletableFuture<Boolean> landed = keeper.append(id, n, fields, inFlight, followed);
        appended = landed;
        if (waiting) {
            waiting = landed(landed, shared.appendLimit());
        } else {
            landed.thenAccept(taken -> waiting = taken);
        }
        return n;
    }

    /**
     * Waits for Redis to take an append, that is for its batch to be answered: the log comes
     * before the client, so that an event a client saw survives its holder's death.
     *
     * @param limit the batch before it and its own, each within the Redis timeout
     * @return false once Redis refused an append or did not answer in time
     */
    private static boolean landed(CompletableFuture<Boolean> landed, Duration limit) {
        try {
            return landed.get(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The holder's note that the stream's first client came with it, as reader 1. */
    void attached() {
        ownReader = 1;
    }

    /**
     * Notes whether some reader follows the stream through Redis: one is {@code reading} and the
     * newest is not the client that came with it (told by a reader's arrival and by each beat).
     *
     * @return whether one does now and did not before
     */
    boolean followed(boolean reading, long newestReader) {
        boolean before = followed;
        followed = reading && newestReader > ownReader;
        return followed && !before;
    }

    @Override
    public long appendLost() {
        return last.incrementAndGet(); // the gap it leaves reads as a trimmed range
    }

    /**
     * The holder's last number; elsewhere, a closed stream's last event, and for one running,
     * as far as appends still on their way to Redis might reach.
     */
    @Override
    public long last() {
        if (holder) {
            return last.get();
        }
        Look look = shared.look(id, 0, 0);
        if (look == null) {
            return 0;
        }
        return look.running() ? Long.MAX_VALUE : look.last();
    }

    @Override
    public Read read(long after, Duration wait, BooleanSupplier done)
            throws InterruptedException {
        long end = System.nanoTime() + wait.toNanos();
        while (true) {
            Listening listening = channels.listening(id);
            long seen = listening == null ? 0 : listening.version();
            Look look = shared.look(id, after, BATCH);
            if (look == null) {
                return new Gone("expired");
            }
            if (!look.entries().isEmpty()) {
                return entries(after, look.entries());
            }
            if (look.large() > 0) {
                return large(after, look);
            }
            if (!look.running()) {
                if (look.last() > after) {
                    return new Gone(look.logThere() ? "trimmed" : "expired");
                }
                return new Closed(ending(look.state()));
            }
            if (!look.alive()) {
                shared.lose(id, route);
                continue;
            }
            long left = end - System.nanoTime();
            if (left <= 0 || done.getAsBoolean()) {
                return new Entries(List.of());
            }
            channels.await(listening, seen, Math.min(left, shared.pollNanos()));
        }
    }

    /**
     * The entries that follow {@code after} without a gap; a first entry past the next number
     * means the events between were trimmed, or never reached Redis.
     */
    private static Read entries(long after, List<Entry> found) {
        if (found.getFirst().n() != after + 1) {
            return new Gone("trimmed");
        }
        List<Entry> run = new ArrayList<>(found.size());
        long next = after + 1;
        for (Entry entry : found) {
            if (entry.n() != next++) {
                break; // the next read finds the gap
            }
            run.add(entry);
        }
        return new Entries(run);
    }

    /** An entry too large for a look, next after {@code after} (or else past a gap). */
    private Read large(long after, Look look) {
        long n = look.large();
        byte[] fields = n == after + 1 ? shared.large(id, n, look.largeSize()) : null;
        return fields == null ? new Gone("trimmed") : new Entries(List.of(new Entry(n, fields)));
    }

    private static Ending ending(String state) {
        return switch (state) {
            case "done" -> Ending.DONE;
            case "stopped" -> Ending.STOPPED;
            case "abandoned" -> Ending.ABANDONED;
            case "lost" -> Ending.LOST;
            default -> Ending.FAILED;
        };
    }

    @Override
    public void close(Ending ending) {
        if (holder && closed.getCount() > 0) {
            closed.countDown();
            keeper.closed(id, ending, last.get(), appended);
        }
    }

    /** The holder waits for its own close; elsewhere, for Redis to say the stream ended. */
    @Override
    public boolean awaitClosed(Duration limit) throws InterruptedException {
        if (holder) {
            return closed.await(limit.toNanos(), TimeUnit.NANOSECONDS);
        }
        long end = System.nanoTime() + limit.toNanos();
        Listening listening = channels.listen(id);
        try {
            while (true) {
                long seen = listening.version();
                Look look = shared.look(id, 0, 0);
                if (look == null || !look.running()) {
                    return true;
                }
                if (!look.alive()) {
                    shared.lose(id, route);
                    continue;
                }
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                channels.await(listening, seen, Math.min(left, shared.pollNanos()));
            }
        } finally {
            channels.leave(id);
        }
    }

    @Override
    public void wake() {
        channels.wake(id);
    }
}
