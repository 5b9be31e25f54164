package dev.sluice.config;

import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outbound proxy that the usual environment variables name for calls to upstreams:
 * {@code HTTPS_PROXY} for {@code https} upstreams, {@code HTTP_PROXY} for {@code http} ones
 * (either in lower case too), and {@code NO_PROXY} for the hosts called directly. Without
 * either proxy variable the JVM's own {@code https.proxyHost}/{@code http.proxyHost} settings
 * apply, as the JDK client reads them.
 *
 * @param http the proxy for {@code http} upstreams, as {@code http://host:port}, or null
 * @param https the proxy for {@code https} upstreams, or null
 * @param direct {@code NO_PROXY}'s entries, lower-cased: host names (each with its
 *     subdomains), IP literals, or {@code *} for every host
 */
public record OutboundProxy(URI http, URI https, List<String> direct) {

    /** No proxy variable set: the JVM's own proxy settings, if any, apply. */
    public static final OutboundProxy JVM = new OutboundProxy(null, null, List.of());

    public OutboundProxy {
        direct = List.copyOf(direct);
    }

    /** True when neither variable names a proxy. */
    public boolean fromJvm() {
        return http == null && https == null;
    }

    static OutboundProxy from(Map<String, String> env) {
        URI https = proxy(env, "HTTPS_PROXY");
        URI http = proxy(env, "HTTP_PROXY");
        if (https == null && http == null) {
            return JVM;
        }
        String none = either(env, "NO_PROXY");
        List<String> direct = none == null ? List.of() : Arrays.stream(none.split(","))
                .map(entry -> entry.strip().toLowerCase(Locale.ROOT))
                .map(entry -> entry.startsWith(".") ? entry.substring(1) : entry)
                .filter(entry -> !entry.isEmpty()).toList();
        return new OutboundProxy(http, https, direct);
    }

    private static URI proxy(Map<String, String> env, String variable) {
        String value = either(env, variable);
        if (value == null) {
            return null;
        }
        URI uri;
        try {
            uri = URI.create(value.contains("://") ? value : "http://" + value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(variable + " is not a proxy URL such as "
                    + "http://proxy.example.com:3128");
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            throw new ConfigException(variable + " must name an http:// proxy with a host, such "
                    + "as http://proxy.example.com:3128 (the JDK client speaks to proxies in "
                    + "plain HTTP, and tunnels TLS to https upstreams through them)");
        }
        if (uri.getRawUserInfo() != null) {
            // Never shown: the user part may hold a password.
            throw new ConfigException(variable + " names a user and password, which Sluice does "
                    + "not send to proxies; use a proxy that admits this machine");
        }
        return URI.create("http://" + uri.getHost() + ":" + (uri.getPort() < 0 ? 80
                : uri.getPort()));
    }

    /** The variable in upper or lower case (curl reads both), blank as unset. */
    private static String either(Map<String, String> env, String variable) {
        for (String name : new String[] {variable, variable.toLowerCase(Locale.ROOT)}) {
            String value = env.get(name);
            if (value != null && !value.isBlank()) {
                return value.strip();
            }
        }
        return null;
    }

    @Override
    public String toString() {
        if (fromJvm()) {
            return "(none: the JVM's https.proxyHost and http.proxyHost, if set)";
        }
        return (https == null ? "" : "https upstreams through " + https)
                + (https != null && http != null ? ", " : "")
                + (http == null ? "" : "http upstreams through " + http)
                + (direct.isEmpty() ? "" : "; direct to " + String.join(", ", direct))
                + "; loopback always direct";
    }
}
