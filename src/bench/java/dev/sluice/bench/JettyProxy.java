package dev.sluice.bench;

import org.eclipse.jetty.ee10.proxy.ProxyServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;

/**
 * The JVM peer, run as its own process: Jetty's own asynchronous transparent proxy
 * ({@code ProxyServlet.Transparent} on jetty-client) to the pacing upstream, on Jetty as Sluice
 * sets it up, with output aggregation off.
 */
public final class JettyProxy {

    private JettyProxy() {}

    /** Arguments: the port to serve on, the pacing upstream's port. */
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        ServletContextHandler context = new ServletContextHandler("/");
        ServletHolder proxy = new ServletHolder("proxy", ProxyServlet.Transparent.class);
        proxy.setInitParameter("proxyTo", "http://127.0.0.1:" + Integer.parseInt(args[1]));
        proxy.setAsyncSupported(true);
        // Its defaults would queue all but 256 streams and cut any stream at 60 s (held-8k
        // holds 8,000 for over a minute): as many connections as the server takes, and an
        // hour, as nginx's proxy_read_timeout here. Its idle timeout stays 30 s, as the JDK
        // HttpClient's keep-alive: idle upstream connections kept longer would use up the
        // upstream's open files before the next target's held-8k.
        proxy.setInitParameter("maxConnections", "20000");
        proxy.setInitParameter("timeout", "3600000");
        context.addServlet(proxy, "/v1/*");
        context.addServlet(new ServletHolder("health", new BytePump.Health()), "/healthz");
        // Jetty aggregates writes smaller than this and does not flush them: with the default
        // the proxy holds an event stream until its end. Off, every chunk leaves as it comes.
        PeerServer.serve(PeerServer.create(port, context,
                http -> http.setOutputAggregationSize(0)));
    }
}
