package dev.sluice.chain;

import dev.sluice.access.Refusal;
import dev.sluice.config.Route;
import dev.sluice.config.Timeouts;
import dev.sluice.dialect.Dialect;
import dev.sluice.dialect.Dialects;
import dev.sluice.observe.Metrics;
import dev.sluice.observe.Redaction;
import dev.sluice.observe.Transcript;
import dev.sluice.upstream.Upstream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a request's upstream is opened: it walks the route's chain (the route, then its
 * fallbacks) and on each a usable key of its pool, taking another key at once when the provider
 * throttles (429) or refuses (401, 403) one, and the next route when one cannot answer (no
 * connection, no answer in time, a 5xx, no usable key, skipped after failing). Only the last
 * route of a chain waits for a key or retries. It hands back a started upstream answer, or the
 * last route's refusal. Thread-safe; a request's attempts run on its own thread.
 */
public final class Opener {

    private static final Logger LOG = LoggerFactory.getLogger(Opener.class);
    /** How long the first of a queue waits for a freed slot before it looks again anyway. */
    private static final long BUSY_POLL_MILLIS = 1000;
    /** The reason a route is passed over while its max-concurrent answers are open. */
    private static final String BUSY = "busy";

    /**
     * An upstream answer and how it was had.
     *
     * @param route the route of the chain that answered
     * @param key the pool's key that served it, or null for a route without keys
     * @param attempts the calls made for it, the one that answered included
     * @param position the answering route's place in the chain
     * @param fallible a route after it is left to try if its stream gives out before its
     *     first content event
     * @param freeSlot frees the answer's slot of the route's {@code max-concurrent}
     */
    public record Opened(HttpResponse<InputStream> answer, Route route, PoolKey key,
            int attempts, int position, boolean fallible, Runnable freeSlot) {

        /** Tells {@code transcript} which route and key served, in how many calls. */
        public void recordIn(Transcript transcript) {
            transcript.served(route.name(), key == null ? null : key.fingerprint(), attempts);
        }

        /** The answer is over: its slot is free for another (once; later calls do nothing). */
        public void release() {
            freeSlot.run();
        }
    }

    /** A route of the chain that could not answer: why, and what to say if it was the last. */
    private static final class Failed extends Exception {
        final Refusal refusal;
        final String reason;
        /** For the last route with every key resting: ms until the first is usable; else -1. */
        final long readyIn;

        Failed(Refusal refusal, String reason) {
            this(refusal, reason, -1);
        }

        Failed(Refusal refusal, String reason, long readyIn) {
            super(null, null, false, false);
            this.refusal = refusal;
            this.reason = reason;
            this.readyIn = readyIn;
        }
    }

    private final String name;
    private final Dialect dialect;
    private final List<Link> chain;
    private final Upstream upstream;
    private final Retry retry;
    private final Timeouts timeouts;
    private final Redaction redaction;
    private final Metrics metrics;
    private final FairQueue queue;

    /** @param chain the route first, then its fallbacks in order, all of one dialect */
    public Opener(List<Link> chain, Upstream upstream, Retry retry, Timeouts timeouts,
            Redaction redaction, Metrics metrics) {
        this.name = chain.getFirst().route().name();
        this.dialect = Dialects.of(chain.getFirst().route().dialect());
        this.chain = List.copyOf(chain);
        this.upstream = upstream;
        this.retry = retry;
        this.timeouts = timeouts;
        this.redaction = redaction;
        this.metrics = metrics;
        this.queue = new FairQueue(name, retry.queue());
        metrics.queue(name, queue::length);
        for (Link link : this.chain) {
            link.slots().onFree(queue::nudge);
        }
    }

    /**
     * Calls the upstreams of the chain until an answer is worth relaying: a success, or, from
     * the last route, its last refusal when no key, wait or retry is left.
     */
    public Opened open(Ask ask) throws Refusal {
        long started = System.nanoTime();
        long deadline = started + (ask.stream() ? retry.queue().maxWait()
                : min(retry.queue().maxWait(), timeouts.response())).toNanos();
        FairQueue.Place place = null;
        try {
            // Behind those who wait, not ahead of them.
            if (queue.waiting()) {
                place = queue.enter(ask.caller());
            }
            long readyAt = started;
            long noteAt = started + timeouts.heartbeat().toNanos();
            Walk walk = new Walk(ask, 0);
            long nudges = queue.nudges();
            while (true) {
                if (place != null) {
                    noteAt = awaitTurn(place, readyAt, nudges, deadline, noteAt, ask);
                }
                nudges = queue.nudges();
                try {
                    Opened opened = walk(walk, 0, null);
                    if (place != null) {
                        metrics.queueWaited(name, place.waitedMillis());
                    }
                    return opened;
                } catch (Failed f) {
                    long now = System.nanoTime();
                    // A rest past the deadline is not worth waiting for; a freed slot may come
                    // at any moment.
                    boolean busy = f.reason.equals(BUSY);
                    if (f.readyIn < 0 || !busy && now + f.readyIn * 1_000_000 > deadline) {
                        throw f.refusal;
                    }
                    if (place == null) {
                        place = queue.enter(ask.caller());
                    }
                    readyAt = Math.min(deadline, now + f.readyIn * 1_000_000);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Refusal(503, "server_shutting_down", "request interrupted");
        } finally {
            if (place != null) {
                place.close();
            }
        }
    }

    /**
     * Waits until {@code place} is first and the chain may have room again: the keys' rest is
     * over ({@code readyAt}) or a slot was freed since the last try ({@code nudges} then),
     * telling the client its position at the heartbeat interval.
     *
     * @return when the next note to the client is due
     * @throws Refusal 429 at the deadline, 499 when the client has left
     */
    private long awaitTurn(FairQueue.Place place, long readyAt, long nudges, long deadline,
            long noteAt, Ask ask) throws Refusal, InterruptedException {
        while (true) {
            long now = System.nanoTime();
            if (now >= deadline) {
                long rest = Math.max(0, readyAt - now) / 1_000_000;
                metrics.queueWaited(name, place.waitedMillis());
                throw new Refusal(429, "rate_limit_error", "waited " + place.waitedMillis()
                        + " ms in route " + name + "'s queue (SLUICE_QUEUE_WAIT) while every "
                        + "key rested or every slot was taken",
                        Math.max(seconds(rest), queue.retryAfterSeconds()));
            }
            if (now >= noteAt) {
                if (!ask.queued(place.position())) {
                    throw new Refusal(499, "client_closed", "the client left route " + name
                            + "'s queue");
                }
                noteAt = now + timeouts.heartbeat().toNanos();
                continue;
            }
            long until = Math.min(noteAt, deadline);
            if (place.awaitFirst(until - now)) {
                now = System.nanoTime();
                if (now >= readyAt || queue.nudges() != nudges) {
                    return noteAt;
                }
                place.awaitMove(Math.min(until, readyAt) - now);
            }
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /**
     * Goes on along the chain after {@code from}'s stream gave out before its first content
     * event ({@link Opened#fallible} said a route was left): the fault counts against that
     * upstream's health, or rests its key when it was a throttle.
     */
    public Opened fallBack(Ask ask, Opened from, Fault fault) throws Refusal {
        Link link = chain.get(from.position());
        if (fault.health()) {
            link.health().failed(fault.reason().replace('_', ' '));
        } else if (from.key() != null && fault.refusal().status() == 429) {
            link.pool().throttled(from.key(), retry.backoff(0));
        }
        try {
            return walk(new Walk(ask, from.attempts()), from.position() + 1,
                    new Failed(fault.refusal(), fault.reason()));
        } catch (Failed f) {
            throw f.refusal;
        }
    }

    /** {@code opened}'s stream brought content: its upstream is healthy. */
    public void began(Opened opened) {
        chain.get(opened.position()).health().began();
    }

    private Opened walk(Walk walk, int from, Failed failed) throws Failed, Refusal {
        for (int i = from; i < chain.size(); i++) {
            Link link = chain.get(i);
            if (failed != null) {
                metrics.fallback(name, link.route().name(), failed.reason);
                LOG.info("{}: {} ({}); trying {}", name, failed.refusal.getMessage(),
                        failed.reason, link.route().name());
            }
            if (!link.health().admits()) {
                long seconds = seconds(link.health().skippedFor());
                failed = new Failed(new Refusal(503, "upstream_unavailable", "the upstream of "
                        + "route " + link.route().name() + " is skipped after failing; one "
                        + "request tries it again in " + seconds + " s", seconds), "skipped");
                continue;
            }
            try {
                return walk.on(link, i);
            } catch (Failed f) {
                failed = f;
            }
        }
        throw failed;
    }

    /** One request's way along the chain. */
    private final class Walk {

        private final Ask ask;
        /** Calls made, on every route so far. */
        private int attempts;
        /**
         * Calls and waits on the last route, kept across the turns a request takes in the
         * queue: its calls stay within one per key plus the retries however long it waits.
         */
        private int lastCalls;
        private int lastWaits;
        /** The slot the route being tried gave, until an answer takes it with it. */
        private Slots.Taken slot;

        Walk(Ask ask, int attempts) {
            this.ask = ask;
            this.attempts = attempts;
        }

        /**
         * Calls {@code link}'s upstream with its keys in turn until it answers; only the last
         * route waits and retries.
         *
         * @throws Failed when the next route should be tried, or the last one's refusal said
         */
        Opened on(Link link, int position) throws Failed, Refusal {
            boolean last = position == chain.size() - 1;
            Route route = link.route();
            KeyPool pool = link.pool();
            URI target;
            try {
                target = ask.target(route);
            } catch (Refusal refusal) {
                throw new Failed(refusal, "not_configured");
            }
            Map<String, String> headers = ask.headers(route);
            byte[] body = ask.body(route);
            int calls = last ? lastCalls : 0;
            int waits = last ? lastWaits : 0;
            int before = calls;
            int most = Math.max(1, pool.keys().size()) + (last ? retry.attempts() : 0);
            // A throttled or refused answer, relayed when nothing better comes.
            HttpResponse<InputStream> held = null;
            PoolKey heldKey = null;
            try {
                slot = link.slots().take();
                if (slot == null) {
                    throw new Failed(new Refusal(503, "upstream_busy", "route " + route.name()
                            + " has " + link.slots().max() + " answers open, its max-concurrent",
                            queue.retryAfterSeconds()), BUSY, last ? BUSY_POLL_MILLIS : -1);
                }
                while (true) {
                    if (held != null && calls >= most) {
                        HttpResponse<InputStream> answer = held;
                        held = null;
                        return handOver(route, answer, heldKey, position);
                    }
                    PoolKey key = null;
                    if (!pool.empty()) {
                        key = pool.pick();
                        if (key == null) {
                            long ready = pool.readyIn();
                            if (held != null && !queues(last, ready)) {
                                HttpResponse<InputStream> answer = held;
                                held = null;
                                return handOver(route, answer, heldKey, position);
                            }
                            if (queues(last, ready)) {
                                waits++; // a wait in the queue: a throttle after it rests longer
                            }
                            throw new Failed(exhausted(route, ready),
                                    ready < 0 ? "keys_out" : "keys_resting",
                                    last ? ready : -1);
                        }
                        Dialect.Header credential = route.serving().keyHeader() != null
                                ? new Dialect.Header(route.serving().keyHeader(),
                                        key.secret().value())
                                : dialect.credential(key.secret());
                        headers.put(credential.name(), credential.value());
                        metrics.keyRequest(route.name(), key.fingerprint());
                    }
                    held = close(held);
                    calls++;
                    attempts++;
                    HttpResponse<InputStream> answer;
                    try {
                        answer = upstream.send(target, headers, body, ask.stream(),
                                timeouts.response());
                    } catch (HttpConnectTimeoutException | ConnectException e) {
                        CallFailure failure = failure(route, e, target);
                        link.health().failed("no connection");
                        Duration wait = last ? retry.afterConnectFailure(waits) : null;
                        if (wait == null) {
                            throw new Failed(failure.refusal(), "unreachable");
                        }
                        waits++;
                        pause(wait, "upstream unreachable");
                        continue;
                    } catch (HttpTimeoutException e) {
                        link.health().failed("no answer in time");
                        throw new Failed(new Refusal(504, "upstream_timeout", "upstream sent no "
                                + "response headers within " + timeouts.response().toMillis()
                                + " ms"), "timeout");
                    } catch (IOException e) {
                        CallFailure failure = failure(route, e, target);
                        link.health().failed("the call failed");
                        throw new Failed(failure.refusal(), "failed");
                    }
                    int status = answer.statusCode();
                    metrics.upstreamAnswered(route.name(), status);
                    if (status >= 500) {
                        link.health().failed("HTTP " + status);
                    } else {
                        link.health().answered(ask.stream() && status <= 299);
                    }
                    if (key != null && (status == 429 || status == 401 || status == 403)) {
                        if (status == 429) {
                            Duration rest = RateLimits.afterThrottle(answer.headers());
                            pool.throttled(key, rest != null ? rest : retry.backoff(waits));
                        } else {
                            pool.refused(key, status);
                        }
                        held = answer;
                        heldKey = key;
                        continue; // another key, a wait for one, or this answer
                    }
                    if (key != null && status >= 200 && status <= 299) {
                        Duration spent = RateLimits.spent(answer.headers());
                        if (spent != null) {
                            pool.rest(key, spent);
                        }
                    }
                    if (status >= 500 && !last) {
                        close(answer);
                        throw new Failed(new Refusal(502, "upstream_error", "the upstream of "
                                + "route " + route.name() + " answered " + status), "status");
                    }
                    Duration wait = last ? retry.after(waits, answer) : null;
                    if (wait == null) {
                        return opened(answer, route, key, position, !last);
                    }
                    close(answer);
                    waits++;
                    pause(wait, "upstream answered " + status);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Refusal(503, "server_shutting_down", "request interrupted");
            } finally {
                close(held);
                if (slot != null) {
                    slot.close(); // no answer took it
                    slot = null;
                }
                if (calls == before) {
                    link.health().released();
                }
                if (last) {
                    lastCalls = calls;
                    lastWaits = waits;
                }
            }
        }

        /** The answer, holding the slot of the route it came from until it is released. */
        private Opened opened(HttpResponse<InputStream> answer, Route route, PoolKey key,
                int position, boolean fallible) {
            Slots.Taken taken = slot;
            slot = null;
            return new Opened(answer, route, key, attempts, position, fallible, taken::close);
        }

        /**
         * Whether the request waits in the queue for a key of this route, resting for
         * {@code ready} ms (negative: every key is out): only on the last route, and only when
         * it may wait that long; else it gets what the provider said.
         */
        private boolean queues(boolean last, long ready) {
            long most = retry.queue().maxWait().toMillis();
            return last && ready >= 0 && most > 0 && ready <= most;
        }

        /** The last route relays a throttled or refused answer; another passes to the next. */
        private Opened handOver(Route route, HttpResponse<InputStream> answer, PoolKey key,
                int position) throws Failed {
            if (position == chain.size() - 1) {
                return opened(answer, route, key, position, false);
            }
            int status = answer.statusCode();
            close(answer);
            throw new Failed(new Refusal(status == 429 ? 429 : 503, status == 429
                    ? "rate_limit_error" : "upstream_keys_refused", "the upstream of route "
                    + route.name() + " answered " + status), status == 429 ? "throttled"
                    : "refused");
        }
    }

    private void pause(Duration wait, String why) throws InterruptedException {
        metrics.retried(name);
        LOG.info("{} {}; retrying in {} ms", name, why, wait.toMillis());
        Thread.sleep(wait);
    }

    /** Lets go of an answer not relayed, which cancels its exchange; returns null. */
    private static HttpResponse<InputStream> close(HttpResponse<InputStream> answer) {
        if (answer != null) {
            try {
                answer.body().close();
            } catch (IOException e) {
                // cancelled either way
            }
        }
        return null;
    }

    /** No key of {@code route} can be used now, nor within the retry bounds. */
    private static Refusal exhausted(Route route, long readyIn) {
        if (readyIn < 0) {
            return new Refusal(503, "upstream_keys_refused", "the upstream refused every key of "
                    + "route " + route.name() + " (401 or 403): they are out of service until "
                    + "Sluice restarts with working keys");
        }
        long seconds = seconds(readyIn);
        return new Refusal(429, "rate_limit_error", "every key of route " + route.name()
                + " is resting after the upstream's rate limits; the first is usable again in "
                + seconds + " s", seconds);
    }

    /**
     * Why the call to {@code target} failed, logged with its host, port and cause (the client is
     * told in general words only).
     */
    private CallFailure failure(Route route, IOException e, URI target) {
        CallFailure failure = CallFailure.of(e, target, upstream.proxyFor(target),
                timeouts.connect());
        LOG.warn("route {}: {}", route.name(), redaction.scrub(failure.detail()));
        return failure;
    }

    private static long seconds(long millis) {
        return Math.max(1, (millis + 999) / 1000);
    }
}
