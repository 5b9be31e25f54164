package dev.sluice.server;

import java.nio.channels.SelectableChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Jetty's connector, minus the two ways its graceful shutdown loses a connection accepted in the
 * instant shutdown begins; such a connection's request is answered (a 503, or served) instead.
 * Thread-safe.
 *
 * <p>Jetty closes the listening channel, which wakes an acceptor blocked in {@code accept()},
 * and then interrupts its acceptors too. The JDK's {@code ServerSocketChannel.accept()} throws
 * {@code ClosedByInterruptException} when its thread was interrupted even if it has just
 * accepted a connection, whose socket is then never served nor closed: its client waits until
 * it gives up. Here an acceptor is woken, never interrupted.
 *
 * <p>Jetty's shutdown is done when the acceptors have ended and no connection is open, but a
 * connection the acceptor has just handed to a selector is not yet counted as open: the server
 * then stops and closes it unanswered. Here shutdown also waits for every accepted connection
 * to open and close.
 */
final class ShutdownConnector extends ServerConnector {

    /** Connections accepted that have neither opened nor failed yet. */
    private final AtomicInteger accepting = new AtomicInteger();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile boolean acceptorsEnded;

    ShutdownConnector(Server server, ConnectionFactory... factories) {
        super(server, factories);
        getSelectorManager().addEventListener(new SelectorManager.AcceptListener() {
            @Override
            public void onAccepting(SelectableChannel channel) {
                accepting.incrementAndGet();
            }

            @Override
            public void onAcceptFailed(SelectableChannel channel, Throwable cause) {
                accepting.decrementAndGet();
                check();
            }
        });
    }

    /**
     * Wakes an acceptor that waits for room under the connection limit (it then sees the
     * shutdown or stop and ends); one in {@code accept()} is woken by the channel's close, which
     * comes first on both shutdown and stop.
     */
    @Override
    protected void interruptAcceptors() {
        setAccepting(true);
    }

    @Override
    public CompletableFuture<Void> shutdown() {
        return super.shutdown().thenCompose(done -> {
            acceptorsEnded = true;
            check();
            return drained;
        });
    }

    @Override
    protected void onEndPointOpened(EndPoint endPoint) {
        super.onEndPointOpened(endPoint);
        if (isShutdown()) {
            // as Jetty shortens the idle timeout of the connections open when shutdown began
            endPoint.setIdleTimeout(getShutdownIdleTimeout());
        }
        accepting.decrementAndGet();
    }

    @Override
    protected void onEndPointClosed(EndPoint endPoint) {
        super.onEndPointClosed(endPoint);
        check();
    }

    private void check() {
        if (acceptorsEnded && accepting.get() <= 0 && getConnectedEndPoints().isEmpty()) {
            drained.complete(null);
        }
    }
}
