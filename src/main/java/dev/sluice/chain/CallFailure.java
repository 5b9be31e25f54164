package dev.sluice.chain;

import dev.sluice.access.Refusal;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import javax.net.ssl.SSLException;

/**
 * Why a call to an upstream got no answer, told twice: in general words to the client, and with
 * the host, the port and the cause to the operator's log. A DNS failure, a refused connection, a
 * failed TLS handshake and a connect timeout read differently, because each has another fix.
 *
 * @param refusal what the client is answered: a status, a type and no host, port or cause
 * @param detail the log's words: where the call went (and through which proxy) and what failed
 */
record CallFailure(Refusal refusal, String detail) {

    /** What the JDK client threw for the call to {@code target}, through {@code proxy}. */
    static CallFailure of(IOException e, URI target, Proxy proxy, Duration connectTimeout) {
        String where = hostAndPort(target) + (proxy == null || proxy.type() == Proxy.Type.DIRECT
                ? "" : " through the proxy " + proxyAddress(proxy));
        if (e instanceof HttpConnectTimeoutException) {
            return new CallFailure(new Refusal(504, "upstream_timeout", "the upstream did not "
                    + "accept the connection in " + connectTimeout.toMillis() + " ms"),
                    "no connection to " + where + " within " + connectTimeout.toMillis() + " ms");
        }
        if (has(e, UnresolvedAddressException.class) || has(e, UnknownHostException.class)) {
            return new CallFailure(new Refusal(502, "upstream_unreachable", "the upstream's "
                    + "host name could not be resolved"), "the host name of " + where
                    + " could not be resolved (DNS)");
        }
        if (has(e, SSLException.class)) {
            return new CallFailure(new Refusal(502, "upstream_tls_failed", "the TLS handshake "
                    + "with the upstream failed"), "TLS with " + where + " failed: "
                    + cause(e, SSLException.class));
        }
        if (proxy != null && String.valueOf(e.getMessage()).startsWith("Tunnel failed")) {
            return new CallFailure(new Refusal(502, "upstream_unreachable", "the outbound proxy "
                    + "refused the connection to the upstream"), "the proxy "
                    + proxyAddress(proxy) + " refused the tunnel to " + hostAndPort(target)
                    + " (" + e.getMessage() + ")");
        }
        if (e instanceof ConnectException) {
            return new CallFailure(new Refusal(502, "upstream_unreachable", "the upstream "
                    + "refused the connection"), where + " refused the connection");
        }
        return new CallFailure(new Refusal(502, "upstream_unreachable", "the call to the "
                + "upstream failed"), "the call to " + where + " failed: " + e);
    }

    private static String hostAndPort(URI target) {
        int port = target.getPort() >= 0 ? target.getPort()
                : "https".equalsIgnoreCase(target.getScheme()) ? 443 : 80;
        return target.getHost() + ":" + port;
    }

    private static String proxyAddress(Proxy proxy) {
        return proxy.address() instanceof InetSocketAddress address
                ? address.getHostString() + ":" + address.getPort() : String.valueOf(proxy);
    }

    private static boolean has(Throwable e, Class<? extends Throwable> kind) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (kind.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /** The innermost message of that kind: the JDK repeats it as it wraps. */
    private static String cause(Throwable e, Class<? extends Throwable> kind) {
        String message = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (kind.isInstance(t) && t.getMessage() != null) {
                message = t.getMessage();
            }
        }
        return message == null ? kind.getSimpleName() : message;
    }
}
