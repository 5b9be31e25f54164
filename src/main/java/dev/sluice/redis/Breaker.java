package dev.sluice.redis;

import dev.sluice.config.Sharing;
import dev.sluice.observe.Metrics;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The circuit breaker for a Redis that hangs: after {@link #TIMEOUTS} calls in a row on the
 * command connection that it did not answer in their time, with no answer on any connection for
 * twice the timeout, calls fail at once (counted, each falling back as its failure policy says)
 * instead of each waiting out the timeout, and one probe a {@link #PROBE} finds out when Redis
 * answers again. A Redis that refuses connections fails fast by itself and opens nothing; nor
 * does a Redis slow with large logs, which still answers their reads and appends.
 * Thread-safe; the probe runs on a virtual thread of its own while the breaker is open.
 */
final class Breaker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisLink.class);
    static final int TIMEOUTS = 3;
    static final Duration PROBE = Duration.ofSeconds(1);

    /** Asks Redis whether it answers, within the Redis timeout, past the breaker. */
    interface Probe {
        void ping() throws RedisFailure;
    }

    private final Sharing sharing;
    private final Metrics metrics;
    private final AtomicInteger timeouts = new AtomicInteger();
    /** When Redis last answered a call (nanoTime), on any connection. */
    private volatile long answered = System.nanoTime();
    private final long silenceNanos;
    private final AtomicBoolean open = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);
    /** Set once, before any call: the link's ping, which needs the breaker made first. */
    private volatile Probe probe;

    Breaker(Sharing sharing, Metrics metrics) {
        this.sharing = sharing;
        this.metrics = metrics;
        this.silenceNanos = sharing.timeout().multipliedBy(2).toNanos();
    }

    void probeWith(Probe probe) {
        this.probe = probe;
    }

    /** Fails the call {@code what} at once while the breaker is open. */
    void check(String what) throws RedisFailure {
        if (open.get()) {
            metrics.redisSkipped(what);
            throw new RedisFailure(what + ": not sent, Redis did not answer the last " + TIMEOUTS
                    + " calls in time");
        }
    }

    /** Whether calls are failing at once, for those sent without waiting. */
    boolean isOpen() {
        return open.get();
    }

    void succeeded() {
        answered = System.nanoTime();
        timeouts.set(0);
    }

    void failed(RedisFailure e) {
        if (e.timedOut() && timeouts.incrementAndGet() >= TIMEOUTS
                && System.nanoTime() - answered >= silenceNanos
                && open.compareAndSet(false, true)) {
            LOG.warn("Redis at {} did not answer {} calls in a row: calls fail at once, as "
                    + "when it is away, until a probe each {} s finds it answering",
                    sharing.address(), TIMEOUTS, PROBE.toSeconds());
            Thread.ofVirtual().name("sluice-redis-probe").start(this::probe);
        }
    }

    private void probe() {
        try {
            while (!closed.await(PROBE.toMillis(), TimeUnit.MILLISECONDS)) {
                try {
                    probe.ping();
                    timeouts.set(0);
                    open.set(false);
                    LOG.info("Redis at {} answers the probe: calls go to it again",
                            sharing.address());
                    return;
                } catch (RedisFailure e) {
                    // still not answering: the next probe in a second
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed.countDown();
    }
}
