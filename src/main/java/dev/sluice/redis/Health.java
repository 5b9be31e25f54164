package dev.sluice.redis;

import dev.sluice.config.Sharing;
import dev.sluice.observe.Metrics;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each call's outcome as a metric, and whether the last call worked: a turn either way is
 * logged once, not at every call. The link's log reads have a health of their own, since their
 * failing leaves admissions as they are. Thread-safe.
 */
final class Health {

    /** The link's logger: these lines are the link's state, wherever they are decided. */
    private static final Logger LOG = LoggerFactory.getLogger(RedisLink.class);

    private final Sharing sharing;
    private final Metrics metrics;
    /** Of the connection for log reads only. */
    private final boolean reads;
    /** Its calls that time out count towards opening the breaker. */
    private final boolean counted;
    private final Breaker breaker;
    /** Why the last call failed, or null when it worked. */
    private final AtomicReference<String> trouble = new AtomicReference<>();

    private Health(Sharing sharing, Metrics metrics, boolean reads, boolean counted,
            Breaker breaker) {
        this.sharing = sharing;
        this.metrics = metrics;
        this.reads = reads;
        this.counted = counted;
        this.breaker = breaker;
    }

    /** Of the connection for everything but stream logs: what {@code /readyz} reports. */
    static Health ofCommands(Sharing sharing, Metrics metrics, Breaker breaker) {
        return new Health(sharing, metrics, false, true, breaker);
    }

    /**
     * Of the connection for appends to resumable streams' logs, reported as the commands are;
     * a batch of large events may take longer than the timeout with Redis well, so its
     * timeouts open no breaker.
     */
    static Health ofAppends(Sharing sharing, Metrics metrics, Breaker breaker) {
        return new Health(sharing, metrics, false, false, breaker);
    }

    /** Of the connection for reads of resumable streams' logs, which open no breaker either. */
    static Health ofReads(Sharing sharing, Metrics metrics, Breaker breaker) {
        return new Health(sharing, metrics, true, false, breaker);
    }

    /** Fails the call {@code what} at once while Redis does not answer ({@link Breaker}). */
    void check(String what) throws RedisFailure {
        breaker.check(what);
    }

    /** Whether calls fail at once now: a call nobody waits for is then not sent. */
    boolean skipping() {
        return breaker.isOpen();
    }

    /** Why the last call to Redis failed, or null when it worked. */
    String trouble() {
        return trouble.get();
    }

    /** Counts a call that leaves the trouble as it is: one nobody waits for. */
    void metric(String what, long start, boolean worked) {
        metrics.redisCall(what, System.nanoTime() - start, worked);
    }

    /** The call {@code what}, begun at {@code start} (nanoTime), worked. */
    void succeeded(String what, long start) {
        metrics.redisCall(what, System.nanoTime() - start, true);
        breaker.succeeded(); // an answer on any connection: Redis does not hang
        String was = trouble.getAndSet(null);
        if (was != null && reads) {
            LOG.info("Redis at {} answers reads of stream logs again", sharing.address());
        } else if (was != null) {
            LOG.info("Redis at {} answers again: limits, budgets and stream logs are "
                    + "shared again", sharing.address());
        }
    }

    /** The call {@code what}, begun at {@code start} (nanoTime), failed: returns {@code e}. */
    RedisFailure failed(String what, long start, RedisFailure e) {
        metrics.redisCall(what, System.nanoTime() - start, false);
        if (counted) {
            breaker.failed(e);
        }
        if (trouble.getAndSet(e.getMessage()) != null) {
            return e;
        }
        if (reads) {
            LOG.warn("Redis at {} does not answer reads of stream logs ({}): resumes answer "
                    + "503 until it does; limits and budgets are not concerned",
                    sharing.address(), e.getMessage());
        } else {
            LOG.warn("Redis at {} does not answer ({}): streams in flight go on; new requests "
                    + "are counted {}", sharing.address(), e.getMessage(), policy());
        }
        return e;
    }

    private String policy() {
        return (sharing.limitsFailOpen() ? "by this instance alone"
                : "not at all (limited clients get 503)") + ", daily budgets "
                + (sharing.budgetsFailOpen() ? "by this instance alone"
                        : "refuse (budgeted clients get 503)");
    }
}
