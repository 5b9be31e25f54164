package dev.sluice.resume;

import dev.sluice.redis.RedisFailure;
import dev.sluice.redis.RedisLink;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The stream channels this instance hears: one subscription per stream however many readers
 * wait on it, and their waiting for its next message. Thread-safe.
 */
final class Channels {

    private final RedisLink redis;
    private final long pollNanos;
    private final Map<String, Listening> listening = new ConcurrentHashMap<>();

    /** @param poll the pace of a wait that hears no channel */
    Channels(RedisLink redis, Duration poll) {
        this.redis = redis;
        this.pollNanos = poll.toNanos();
    }

    private String channel(String id) {
        return new StreamKeys(redis.prefix(), id).channel();
    }

    /** Hears the stream's channel until {@link #leave}; subscribes for the first user. */
    Listening listen(String id) {
        return listen(id, true);
    }

    /**
     * As {@link #listen}, for the holder of a new stream, who subscribes on a thread of its own
     * once Redis has the stream's keys.
     */
    Listening listenUnsubscribed(String id) {
        return listen(id, false);
    }

    private Listening listen(String id, boolean subscribe) {
        boolean[] first = new boolean[1];
        Listening l = listening.compute(id, (k, was) -> {
            Listening now = was == null ? new Listening() : was;
            first[0] = now.join();
            return now;
        });
        if (first[0] && subscribe) {
            try {
                redis.subscribe(channel(id));
            } catch (RedisFailure e) {
                leave(id);
                throw SharedStreams.unavailable(e);
            }
        }
        return l;
    }

    /** No longer hears the stream's channel for one user; unsubscribes after the last. */
    void leave(String id) {
        Listening l = listening.computeIfPresent(id, (k, was) -> was.part() ? null : was);
        if (l == null) {
            redis.unsubscribe(channel(id));
        }
    }

    /** This instance's interest in the stream's channel, or null when it has none. */
    Listening listening(String id) {
        return listening.get(id);
    }

    /** Waits up to {@code nanos} for a message on the stream's channel after {@code seen}. */
    void await(Listening l, long seen, long nanos) throws InterruptedException {
        if (l == null) {
            // No channel to hear: a poll's pace.
            TimeUnit.NANOSECONDS.sleep(Math.min(nanos, pollNanos));
        } else {
            l.await(seen, nanos);
        }
    }

    /** Wakes whoever waits on the stream's channel here. */
    void wake(String id) {
        Listening l = listening.get(id);
        if (l != null) {
            l.signal();
        }
    }

    /** Notes reader {@code number} of the stream, if this instance hears its channel. */
    void reader(String id, long number) {
        Listening l = listening.get(id);
        if (l != null) {
            l.reader(number);
        }
    }

    /** The number of the newest reader this instance has heard of. */
    long newestReader(String id) {
        Listening l = listening.get(id);
        return l == null ? 0 : l.newestReader();
    }
}
