package dev.sluice.bench;

import java.io.IOException;
import java.util.function.Consumer;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.VirtualThreadPool;

/**
 * Jetty as Sluice's embedded server sets it up (threads, buffer pool, buffer sizes, accept queue,
 * connection limit: see {@code SluiceServer.createServer}), for the benchmark's JVM peers, each
 * run as its own process.
 */
final class PeerServer {

    private PeerServer() {}

    /**
     * The server on 127.0.0.1:{@code port} with {@code context}, not yet started; {@code tune}
     * changes the HTTP settings last.
     */
    static Server create(int port, ServletContextHandler context,
            Consumer<HttpConfiguration> tune) {
        QueuedThreadPool threads = new QueuedThreadPool(16, 4);
        threads.setName("peer");
        VirtualThreadPool requests = new VirtualThreadPool(100_000);
        requests.setName("peer-request");
        threads.setVirtualThreadsExecutor(requests);
        Server server = new Server(threads, null, new ArrayByteBufferPool(0, 1024, 65536));
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setOutputBufferSize(4096);
        tune.accept(http);
        HttpConnectionFactory http1 = new HttpConnectionFactory(http);
        http1.setInputBufferSize(4096);
        ServerConnector connector = new ServerConnector(server, http1);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        connector.setAcceptQueueSize(1024);
        server.addConnector(connector);
        server.addBean(new NetworkConnectionLimit(20_000, connector));
        server.setHandler(context);
        return server;
    }

    /** Starts the server and serves until the benchmark, which holds standard input, ends. */
    static void serve(Server server) throws Exception {
        server.start();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                while (System.in.read() >= 0) {
                    // nothing is ever sent; wait for the end
                }
            } catch (IOException e) {
                // the same as the end
            }
            System.exit(0);
        });
        server.join();
    }
}
