package dev.sluice.relay;

import dev.sluice.config.Timeouts;
import java.io.Closeable;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One timer thread for all streams: it checks every open stream a few times per shortest limit,
 * for heartbeats, probes and timeouts, and ends them all when the server shuts down; it also
 * holds the request bodies being read to their minimum rate ({@link BodyRead}). Thread-safe.
 */
public final class Watchdog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Watchdog.class);

    private final Timeouts timeouts;
    private final int minBodyRate;
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
            Thread.ofPlatform().daemon().name("sluice-watchdog").factory());
    private final Set<Watch> open = ConcurrentHashMap.newKeySet();

    public Watchdog(Timeouts timeouts) {
        this(timeouts, 0);
    }

    /**
     * @param minBodyRate bytes per second a request body must come at once it has been waited
     *     for a second ({@link BodyRead}); 0 for none, as in a container, which has its own
     */
    public Watchdog(Timeouts timeouts, int minBodyRate) {
        if (minBodyRate < 0) {
            throw new IllegalArgumentException("minBodyRate >= 0");
        }
        this.timeouts = timeouts;
        this.minBodyRate = minBodyRate;
        Duration shortest = timeouts.heartbeat();
        for (Duration d : new Duration[] {timeouts.firstEvent(), timeouts.idle()}) {
            shortest = d.compareTo(shortest) < 0 ? d : shortest;
        }
        // Four checks per shortest limit keep each limit within a quarter of itself (an idle
        // limit within half: a stream's last item is noted by the check that sees it); two per
        // probe interval keep a silent stream's probes at most one and a half intervals apart.
        long tickNanos = Math.clamp(shortest.toNanos() / 4, 5_000_000L,
                Watch.PROBE.toNanos() / 2);
        // One tick checks every open stream: a timer task per stream cost each stream a
        // schedule and a cancel, and the timer thread a wake-up for each (0.7 us per event,
        // 70 us per stream of paced-1000's 100 events). A task cancelled before its time (an
        // upstream's end read in time) leaves the queue at once, not at its time.
        timer.setRemoveOnCancelPolicy(true);
        timer.scheduleAtFixedRate(this::checkAll, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
    }

    private void checkAll() {
        for (Watch watch : open) {
            try {
                watch.check();
            } catch (RuntimeException e) {
                // A task that throws is never run again: one stream's fault must not end the
                // watch over all of them.
                LOG.error("watching a stream failed", e);
            }
        }
    }

    /** Watches a stream whose upstream body is {@code upstream}; close the watch at its end. */
    Watch watch(ClientStream client, Closeable upstream) {
        return watch(client, upstream, false);
    }

    /** @param drain the route drains its upstream when the client leaves */
    Watch watch(ClientStream client, Closeable upstream, boolean drain) {
        Watch watch = new Watch(timeouts, client, upstream, open::remove, drain);
        open.add(watch);
        return watch;
    }

    /**
     * Runs {@code task} once after {@code delay}, unless cancelled first, on the timer thread:
     * it must not block.
     */
    ScheduledFuture<?> after(Duration delay, Runnable task) {
        return timer.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Lets open streams finish for up to {@code grace}, then ends the rest with a shutdown error
     * and waits a little for them to write it. Completes when no stream is open, with the number
     * of streams the grace limit ended.
     */
    public CompletableFuture<Integer> shutdown(Duration grace) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        Thread.ofVirtual().name("sluice-shutdown").start(() -> {
            int ended = 0;
            try {
                if (!awaitEmpty(grace)) {
                    for (Watch watch : open) {
                        watch.expire(Watch.Expiry.SHUTDOWN);
                        ended++;
                    }
                    awaitEmpty(Duration.ofSeconds(5));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            done.complete(ended);
        });
        return done;
    }

    /** Bytes per second a request body must come at, or 0 for no minimum. */
    int minBodyRate() {
        return minBodyRate;
    }

    public int openStreams() {
        return open.size();
    }

    private boolean awaitEmpty(Duration limit) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (!open.isEmpty() && System.nanoTime() < end) {
            Thread.sleep(10); // shutdown only: a short poll beats a latch per stream
        }
        return open.isEmpty();
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
