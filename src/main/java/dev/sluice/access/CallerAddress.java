package dev.sluice.access;

import dev.sluice.config.Loopback;
import jakarta.servlet.http.HttpServletRequest;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where a request comes from: the connection's address or, when that is a trusted proxy, the
 * client address the proxy forwards; and whether the caller is this machine. The one place that
 * reads {@code Forwarded}, {@code X-Forwarded-For} and {@code X-Real-IP}. Thread-safe; reads
 * literals only, never DNS.
 */
public final class CallerAddress {

    /** The headers a proxy names its client in; a request with any of them came through one. */
    public static final List<String> PROXY_HEADERS = List.of("X-Forwarded-For", "Forwarded",
            "X-Real-IP");

    private final Set<InetAddress> trustedProxies;

    /** @param trustedProxies IP literals (the access file checks them) */
    public CallerAddress(Set<String> trustedProxies) {
        this.trustedProxies = trustedProxies.stream().map(Loopback::parse)
                .collect(Collectors.toUnmodifiableSet());
    }

    /** True when a proxy header is present: the connection's address is then not the caller's. */
    public static boolean forwarded(HttpServletRequest request) {
        return PROXY_HEADERS.stream().anyMatch(name -> request.getHeader(name) != null);
    }

    /**
     * True when the caller is on this machine: the connection is from loopback and either no proxy
     * header came with it, or it came from a trusted proxy and every client address the proxy
     * headers name is loopback. A proxy on this machine otherwise makes every caller look local.
     */
    public boolean local(HttpServletRequest request) {
        String address = request.getRemoteAddr();
        if (!Loopback.literal(address)) {
            return false;
        }
        if (!forwarded(request)) {
            return true;
        }
        if (!trusted(address)) {
            return false;
        }
        for (String header : PROXY_HEADERS) {
            List<String> hops = hops(request, header);
            if (!hops.isEmpty() && !Loopback.literal(client(hops))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The caller's address, for counting anonymous callers: the connection's, or, when that is a
     * trusted proxy, the nearest address in {@code X-Forwarded-For} that is not a trusted proxy
     * too. Only that header: a proxy that sets it may pass the others on as the client wrote them.
     */
    public String of(HttpServletRequest request) {
        String address = request.getRemoteAddr();
        List<String> hops = hops(request, "X-Forwarded-For");
        return hops.isEmpty() || !trusted(address) ? address : client(hops);
    }

    private boolean trusted(String address) {
        InetAddress parsed = Loopback.parse(address);
        return parsed != null && trustedProxies.contains(parsed);
    }

    /**
     * The nearest hop, from the right, that is not a trusted proxy: hops left of it were written
     * by whoever called that proxy, who may write anything. The first hop when all are trusted.
     */
    private String client(List<String> hops) {
        for (int i = hops.size() - 1; i >= 0; i--) {
            if (!trusted(hops.get(i))) {
                return hops.get(i);
            }
        }
        return hops.getFirst();
    }

    /** The addresses a header names, the client's first, each without port or brackets. */
    private static List<String> hops(HttpServletRequest request, String header) {
        List<String> hops = new ArrayList<>();
        for (String line : Collections.list(request.getHeaders(header))) {
            for (String element : line.split(",")) {
                String node = header.equals("Forwarded") ? forwardedFor(element) : element;
                if (node != null && !node.isBlank()) {
                    hops.add(address(node.strip()));
                }
            }
        }
        return hops;
    }

    /**
     * The {@code for} parameter of one {@code Forwarded} element (RFC 7239, section 4), or
     * {@code unknown} when the element names none: a hop that says nothing is no local one.
     */
    private static String forwardedFor(String element) {
        for (String pair : element.split(";")) {
            int equals = pair.indexOf('=');
            if (equals > 0 && pair.substring(0, equals).strip().toLowerCase(Locale.ROOT)
                    .equals("for")) {
                String value = pair.substring(equals + 1).strip();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                return value;
            }
        }
        return element.isBlank() ? null : "unknown";
    }

    /** A node without its port: {@code [::1]:4711} is {@code ::1}, {@code 1.2.3.4:80} 1.2.3.4. */
    private static String address(String node) {
        if (node.startsWith("[")) {
            int close = node.indexOf(']');
            return close > 0 ? node.substring(1, close) : node;
        }
        int colon = node.indexOf(':');
        return colon > 0 && colon == node.lastIndexOf(':') ? node.substring(0, colon) : node;
    }
}
