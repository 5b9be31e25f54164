package dev.sluice.chain;

import dev.sluice.access.Refusal;
import dev.sluice.config.Route;
import dev.sluice.config.Timeouts;
import dev.sluice.dialect.Dialect;
import dev.sluice.observe.Metrics;
import dev.sluice.observe.Redaction;
import dev.sluice.upstream.Upstream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a request's upstream is opened: with a usable key of the route's pool, another
 * key at once when the provider throttles (429) or refuses (401, 403) the one tried, waits
 * within the retry bounds when no key or connection will do, and the route's retries after
 * failures that sent nothing. It hands back a started upstream answer, or a refusal when there
 * is none to relay. Thread-safe; a request's attempts run on its own thread.
 */
public final class Opener {

    private static final Logger LOG = LoggerFactory.getLogger(Opener.class);

    /**
     * An upstream answer and how it was had.
     *
     * @param key the pool's key that served it, or null for a route without keys
     * @param attempts the calls made for it, the one that answered included
     */
    public record Opened(HttpResponse<InputStream> answer, PoolKey key, int attempts) {

        /** The fingerprint of the key that served, or null. */
        public String keyFingerprint() {
            return key == null ? null : key.fingerprint();
        }
    }

    private final Route route;
    private final Dialect dialect;
    private final KeyPool pool;
    private final Upstream upstream;
    private final Retry retry;
    private final Timeouts timeouts;
    private final Redaction redaction;
    private final Metrics metrics;
    /** Calls one request may make: each key once, then the retries. */
    private final int maxAttempts;

    public Opener(Route route, Dialect dialect, KeyPool pool, Upstream upstream, Retry retry,
            Timeouts timeouts, Redaction redaction, Metrics metrics) {
        this.route = route;
        this.dialect = dialect;
        this.pool = pool;
        this.upstream = upstream;
        this.retry = retry;
        this.timeouts = timeouts;
        this.redaction = redaction;
        this.metrics = metrics;
        this.maxAttempts = Math.max(1, pool.keys().size()) + retry.attempts();
    }

    /**
     * Calls the upstream until an answer is worth relaying: a success, or the last refusal
     * when no key, wait or retry is left.
     *
     * @param headers the request's headers without a credential; each attempt puts its key's
     * @param body a POST's body, or null for a GET
     */
    public Opened open(URI target, Map<String, String> headers, byte[] body, boolean stream)
            throws Refusal {
        int attempts = 0;
        int waits = 0;
        // A throttled or refused answer, relayed when nothing better comes.
        HttpResponse<InputStream> held = null;
        PoolKey heldKey = null;
        try {
            while (true) {
                if (held != null && attempts >= maxAttempts) {
                    Opened opened = new Opened(held, heldKey, attempts);
                    held = null;
                    return opened;
                }
                PoolKey key = null;
                if (!pool.empty()) {
                    key = pool.pick();
                    if (key == null) {
                        long ready = pool.readyIn();
                        Duration wait = ready < 0 ? null
                                : retry.within(waits, Duration.ofMillis(ready));
                        if (wait == null) {
                            if (held != null) {
                                Opened opened = new Opened(held, heldKey, attempts);
                                held = null;
                                return opened;
                            }
                            throw exhausted(ready);
                        }
                        held = close(held);
                        waits++;
                        pause(wait, "every key rests");
                        continue;
                    }
                    Dialect.Header credential = dialect.credential(key.secret());
                    headers.put(credential.name(), credential.value());
                    metrics.keyRequest(route.name(), key.fingerprint());
                }
                held = close(held);
                attempts++;
                HttpResponse<InputStream> answer;
                try {
                    answer = upstream.send(target, headers, body, stream, timeouts.response());
                } catch (HttpConnectTimeoutException | ConnectException e) {
                    Duration wait = retry.afterConnectFailure(waits);
                    if (wait == null) {
                        throw unreachable(e);
                    }
                    waits++;
                    pause(wait, "upstream unreachable");
                    continue;
                }
                int status = answer.statusCode();
                metrics.upstreamAnswered(route.name(), status);
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
                Duration wait = retry.after(waits, answer);
                if (wait == null) {
                    return new Opened(answer, key, attempts);
                }
                close(answer);
                waits++;
                pause(wait, "upstream answered " + status);
            }
        } catch (HttpTimeoutException e) {
            throw new Refusal(504, "upstream_timeout", "upstream sent no response headers "
                    + "within " + timeouts.response().toMillis() + " ms");
        } catch (IOException e) {
            throw new Refusal(502, "upstream_unreachable", "upstream request failed: "
                    + redaction.scrub(String.valueOf(e.getMessage())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Refusal(503, "server_shutting_down", "request interrupted");
        } finally {
            close(held);
        }
    }

    private void pause(Duration wait, String why) throws InterruptedException {
        metrics.retried(route.name());
        LOG.info("{} {}; retrying in {} ms", route.name(), why, wait.toMillis());
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

    /** No key can be used now, nor within the retry bounds. */
    private Refusal exhausted(long readyIn) {
        if (readyIn < 0) {
            return new Refusal(503, "upstream_keys_refused", "the upstream refused every key of "
                    + "route " + route.name() + " (401 or 403): they are out of service until "
                    + "Sluice restarts with working keys");
        }
        long seconds = Math.max(1, (readyIn + 999) / 1000);
        return new Refusal(429, "rate_limit_error", "every key of route " + route.name()
                + " is resting after the upstream's rate limits; the first is usable again in "
                + seconds + " s", seconds);
    }

    private Refusal unreachable(IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            return new Refusal(504, "upstream_timeout", "upstream did not accept the connection in "
                    + timeouts.connect().toMillis() + " ms");
        }
        return new Refusal(502, "upstream_unreachable", "upstream refused the connection");
    }
}
