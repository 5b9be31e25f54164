package dev.sluice.chain;

import dev.sluice.access.Refusal;
import dev.sluice.config.Queueing;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The requests of one route that wait for its chain to have room (every key resting). Callers
 * take turns: the first place is the first waiting caller's oldest request, and once it is
 * served that caller goes to the back of the line, so a caller's flood delays another caller's
 * request by one turn at most. Only the first place may try the chain; the others wait behind
 * it. Bounded per caller and in length. Thread-safe; the waits run on the requests' threads.
 */
final class FairQueue {

    private final String route;
    private final Queueing bounds;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled whenever a place is left: the first place may have changed. */
    private final Condition moved = lock.newCondition();
    /** Each waiting caller's places, oldest first; the map's order is the callers' turns. */
    private final LinkedHashMap<String, ArrayDeque<Place>> callers = new LinkedHashMap<>();
    /** Places in all; read without the lock by requests deciding whether to queue. */
    private volatile int length;
    /** Nudges so far; written under the lock. */
    private volatile long nudges;
    /** A moving average of how long places waited, in ms: the estimate for Retry-After. */
    private volatile long typicalWaitMillis;

    FairQueue(String route, Queueing bounds) {
        this.route = route;
        this.bounds = bounds;
    }

    /** One request's place in the queue; closing it leaves the queue. */
    final class Place implements AutoCloseable {

        private final String caller;
        private final long enteredNanos = System.nanoTime();
        private boolean left;

        private Place(String caller) {
            this.caller = caller;
        }

        /**
         * Waits until this place is first or {@code nanos} pass, whichever is sooner.
         *
         * @return whether it is first
         */
        boolean awaitFirst(long nanos) throws InterruptedException {
            lock.lock();
            try {
                while (!first() && nanos > 0) {
                    nanos = moved.awaitNanos(nanos);
                }
                return first();
            } finally {
                lock.unlock();
            }
        }

        /**
         * Waits while it is first, until {@code nanos} pass, the queue is nudged or a place is
         * left, whichever comes first.
         */
        void awaitMove(long nanos) throws InterruptedException {
            lock.lock();
            try {
                if (first() && nanos > 0) {
                    moved.awaitNanos(nanos);
                }
            } finally {
                lock.unlock();
            }
        }

        /** 1 for the first place; else where it stands when callers take turns. */
        int position() {
            lock.lock();
            try {
                ArrayDeque<Place> own = callers.get(caller);
                int depth = 0;
                for (Iterator<Place> i = own.iterator(); i.next() != this; ) {
                    depth++;
                }
                // Every caller serves up to depth places before this turn comes round again,
                // and the callers ahead of this one serve one more.
                int position = 1;
                boolean ahead = true;
                for (Map.Entry<String, ArrayDeque<Place>> entry : callers.entrySet()) {
                    if (entry.getKey().equals(caller)) {
                        ahead = false;
                        continue;
                    }
                    int size = entry.getValue().size();
                    position += Math.min(size, depth) + (ahead && size > depth ? 1 : 0);
                }
                return position + depth;
            } finally {
                lock.unlock();
            }
        }

        /** Milliseconds since it was taken. */
        long waitedMillis() {
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - enteredNanos);
        }

        /** Leaves the queue, served or not: the caller's turn passes if it was first. */
        @Override
        public void close() {
            lock.lock();
            try {
                if (left) {
                    return;
                }
                left = true;
                boolean wasFirst = first();
                ArrayDeque<Place> own = callers.get(caller);
                own.remove(this);
                if (own.isEmpty()) {
                    callers.remove(caller);
                } else if (wasFirst) {
                    callers.remove(caller); // its turn is over: to the back of the line
                    callers.put(caller, own);
                }
                length--;
                long waited = waitedMillis();
                typicalWaitMillis = (typicalWaitMillis * 7 + waited) / 8;
                moved.signalAll();
            } finally {
                lock.unlock();
            }
        }

        private boolean first() {
            Iterator<ArrayDeque<Place>> turns = callers.values().iterator();
            return turns.hasNext() && turns.next().peekFirst() == this;
        }
    }

    /** Wakes the first place: a slot was freed, so the chain may have room now. */
    void nudge() {
        lock.lock();
        try {
            nudges++;
            moved.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** How many times the queue was nudged so far. */
    long nudges() {
        return nudges;
    }

    /** Whether anyone waits: a new request then takes its place behind them. */
    boolean waiting() {
        return length > 0;
    }

    int length() {
        return length;
    }

    /**
     * A place for {@code caller}'s request at the back of its own line.
     *
     * @throws Refusal 429 when the caller has as many waiting as it may, 503 when it is full
     */
    Place enter(String caller) throws Refusal {
        lock.lock();
        try {
            ArrayDeque<Place> own = callers.get(caller);
            if (own != null && own.size() >= bounds.perCaller()) {
                throw new Refusal(429, "rate_limit_error", "this caller already has "
                        + own.size() + " request" + (own.size() == 1 ? "" : "s") + " waiting "
                        + "in route " + route + "'s queue for a key, the most it may "
                        + "(SLUICE_QUEUE_PER_CALLER)", retryAfterSeconds());
            }
            if (length >= bounds.length()) {
                throw new Refusal(503, "queue_full", "route " + route + "'s queue is full: "
                        + length + " requests wait for a key (SLUICE_QUEUE_LENGTH)",
                        retryAfterSeconds());
            }
            Place place = new Place(caller);
            callers.computeIfAbsent(caller, c -> new ArrayDeque<>()).addLast(place);
            length++;
            return place;
        } finally {
            lock.unlock();
        }
    }

    /** Seconds a client refused a place should wait: the queue's recent waits, 1 at least. */
    long retryAfterSeconds() {
        return Math.max(1, (typicalWaitMillis + 999) / 1000);
    }
}
