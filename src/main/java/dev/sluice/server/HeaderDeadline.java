package dev.sluice.server;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Closes a connection whose request headers take longer than the timeout to arrive. Jetty's idle
 * timeout restarts with every byte and its minimum data rate counts body bytes only, so one header
 * byte every few seconds would hold a connection for ever. Looks at every connection a few times
 * per timeout, on Jetty's scheduler; its own state is touched by that one task only. It reads
 * the parser of Jetty's HTTP/1.1 connection, an internal class: Jetty has no public header timeout,
 * and {@code SlowClientTest} fails if an upgrade changes what it reads.
 */
final class HeaderDeadline extends AbstractLifeCycle implements Runnable {

    /** When a connection was first seen part-way through the headers of its nth request. */
    private record Partial(long request, long since) {}

    private final AbstractConnector connector;
    private final long timeout;
    private final long period;
    private Map<EndPoint, Partial> partial = new HashMap<>();
    private volatile Scheduler.Task next;

    HeaderDeadline(AbstractConnector connector, Duration timeout) {
        this.connector = connector;
        this.timeout = timeout.toNanos();
        this.period = Math.max(50, timeout.toMillis() / 4);
    }

    @Override
    protected void doStart() {
        next = connector.getScheduler().schedule(this, period, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() {
        Scheduler.Task task = next;
        if (task != null) {
            task.cancel();
        }
    }

    @Override
    public void run() {
        long now = System.nanoTime();
        Map<EndPoint, Partial> still = new HashMap<>();
        for (EndPoint endPoint : connector.getConnectedEndPoints()) {
            if (!(endPoint.getConnection() instanceof HttpConnection http)
                    || !midHeaders(http.getParser())) {
                continue;
            }
            Partial seen = partial.get(endPoint);
            if (seen == null || seen.request() != http.getMessagesIn()) {
                seen = new Partial(http.getMessagesIn(), now);
            }
            if (now - seen.since() >= timeout) {
                endPoint.close();
            } else {
                still.put(endPoint, seen);
            }
        }
        partial = still;
        if (isRunning()) {
            next = connector.getScheduler().schedule(this, period, TimeUnit.MILLISECONDS);
        }
    }

    /** Some of a request's line or headers have come, not all: an idle connection is at START. */
    private static boolean midHeaders(HttpParser parser) {
        return parser.inHeaderState() && !parser.isStart();
    }
}
