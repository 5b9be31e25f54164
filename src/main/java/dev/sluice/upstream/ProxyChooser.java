package dev.sluice.upstream;

import dev.sluice.config.Loopback;
import dev.sluice.config.OutboundProxy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.List;
import java.util.Locale;

/**
 * Picks the proxy for each upstream call: the one {@link OutboundProxy} names for the URL's
 * scheme unless {@code NO_PROXY} names its host, else the JVM's default selector. Loopback is
 * always called directly: the simulated upstream and local model servers are on this machine,
 * where no proxy can reach them.
 */
final class ProxyChooser extends ProxySelector {

    private static final List<Proxy> DIRECT = List.of(Proxy.NO_PROXY);

    private final OutboundProxy settings;
    private final ProxySelector jvm;

    ProxyChooser(OutboundProxy settings) {
        this.settings = settings;
        ProxySelector fallback = ProxySelector.getDefault();
        this.jvm = fallback != null ? fallback : HttpClient.Builder.NO_PROXY;
    }

    @Override
    public List<Proxy> select(URI uri) {
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        if (loopback(host)) {
            return DIRECT;
        }
        if (settings.fromJvm()) {
            return jvm.select(uri);
        }
        URI proxy = "https".equalsIgnoreCase(uri.getScheme()) ? settings.https() : settings.http();
        if (proxy == null || direct(host)) {
            return DIRECT;
        }
        return List.of(new Proxy(Proxy.Type.HTTP,
                InetSocketAddress.createUnresolved(proxy.getHost(), proxy.getPort())));
    }

    /** The first proxy a call to {@code uri} goes through, or null when it goes directly. */
    Proxy proxyFor(URI uri) {
        Proxy first = select(uri).getFirst();
        return first.type() == Proxy.Type.DIRECT ? null : first;
    }

    private boolean direct(String host) {
        String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        for (String entry : settings.direct()) {
            if (entry.equals("*") || bare.equals(entry) || bare.endsWith("." + entry)) {
                return true;
            }
        }
        return false;
    }

    private static boolean loopback(String host) {
        if (host.equals("localhost") || host.endsWith(".localhost")) {
            return true;
        }
        return Loopback.literal(host); // a literal only: no call waits for DNS here
    }

    @Override
    public void connectFailed(URI uri, SocketAddress address, IOException e) {
        // The call fails and says so; there is no other proxy to try.
    }
}
