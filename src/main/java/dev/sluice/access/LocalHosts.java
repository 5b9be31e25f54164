package dev.sluice.access;

import dev.sluice.config.Loopback;
import jakarta.servlet.http.HttpServletRequest;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Whether a request from this machine was meant for this machine: its {@code Host} names a
 * loopback address, {@code localhost}, the configured host or an allowed name, and its
 * {@code Origin}, when present, is such a host or a configured CORS origin. A page whose name an
 * attacker rebinds to 127.0.0.1 (DNS rebinding) reaches Sluice from loopback, but with its own
 * name in both. Thread-safe; never resolves a name.
 */
public final class LocalHosts {

    /** What a refused request was told names the host up to this many characters. */
    private static final int SHOWN = 100;

    private final Set<String> names;
    private final Set<String> origins;

    /**
     * @param host the configured host (SLUICE_HOST), a name or a literal
     * @param allowed further names (SLUICE_ALLOWED_HOSTS), lower-cased, without ports
     * @param origins the configured CORS origins (SLUICE_CORS_ORIGINS), lower-cased
     */
    public LocalHosts(String host, Set<String> allowed, Set<String> origins) {
        Set<String> all = new HashSet<>(allowed);
        all.add("localhost");
        all.add(name(host.startsWith("[") ? host : host.indexOf(':') >= 0 ? "[" + host + "]"
                : host));
        this.names = Set.copyOf(all);
        this.origins = Set.copyOf(origins);
    }

    /**
     * Null when the request's Host and Origin are this machine's, else why not, naming the
     * setting that would admit it. A request without {@code Host} (HTTP/1.0) is no browser's.
     */
    public String refusal(HttpServletRequest request) {
        String host = request.getHeader("Host");
        if (host != null && !local(name(host))) {
            return "Host " + shown(host) + " is not this machine; if it is a name of this "
                    + "machine, add it to SLUICE_ALLOWED_HOSTS (a page whose name points at "
                    + "127.0.0.1 is refused, against DNS rebinding)";
        }
        String origin = request.getHeader("Origin");
        if (origin == null || origin(origin)) {
            return null;
        }
        if (!web(origin)) {
            return "Origin " + shown(origin) + " is refused: only a page on an http or https "
                    + "origin may call Sluice (not a file, nor a sandboxed frame's null)";
        }
        return "Origin " + shown(origin) + " is not this machine; a page there may call "
                + "Sluice only when SLUICE_CORS_ORIGINS lists it (or SLUICE_ALLOWED_HOSTS "
                + "its host, if it is this machine's)";
    }

    private boolean local(String name) {
        return name != null && (names.contains(name) || Loopback.literal(name));
    }

    /** An http(s) origin whose host is this machine's, or one CORS lets in; never "null". */
    private boolean origin(String origin) {
        String lower = origin.strip().toLowerCase(Locale.ROOT);
        if (origins.contains(lower)) {
            return true;
        }
        int authority = lower.startsWith("http://") ? 7 : lower.startsWith("https://") ? 8 : -1;
        return authority > 0 && lower.indexOf('/', authority) < 0
                && local(name(lower.substring(authority)));
    }

    private static boolean web(String origin) {
        String lower = origin.strip().toLowerCase(Locale.ROOT);
        return lower.startsWith("http://") || lower.startsWith("https://");
    }

    /**
     * The host of a {@code Host} value or an origin's authority, lower-cased, without its port
     * and one trailing dot; an IPv6 literal keeps its brackets. Null when it is malformed.
     */
    private static String name(String authority) {
        String text = authority.strip().toLowerCase(Locale.ROOT);
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || !port(text.substring(close + 1))) {
                return null;
            }
            return text.substring(0, close + 1);
        }
        int colon = text.indexOf(':');
        if (colon >= 0) {
            if (!port(text.substring(colon))) {
                return null;
            }
            text = text.substring(0, colon);
        }
        if (text.endsWith(".")) {
            text = text.substring(0, text.length() - 1);
        }
        return text.isEmpty() || text.indexOf('@') >= 0 ? null : text;
    }

    /** Nothing, or a colon and digits. */
    private static boolean port(String rest) {
        return rest.isEmpty() || (rest.length() > 1 && rest.charAt(0) == ':'
                && rest.substring(1).chars().allMatch(c -> c >= '0' && c <= '9'));
    }

    /** A client's header for a message: bounded, and only printable ASCII. */
    private static String shown(String value) {
        StringBuilder text = new StringBuilder();
        value.chars().limit(SHOWN).forEach(c -> text.append(c >= 0x20 && c < 0x7f ? (char) c
                : '?'));
        return "'" + text + (value.length() > SHOWN ? "...'" : "'");
    }
}
