package dev.sluice.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Whether an address is this machine's own, decided on parsed addresses, never on how the text
 * begins ({@code 127.example.com} is a name, not a loopback address). A request's address is read
 * as a literal only, without DNS; a configured host name is resolved once, at start-up.
 */
public final class Loopback {

    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    /**
     * Loopback as servlet containers report a peer's address, checked on every request without
     * the parse: Jetty 12 writes {@code 127.0.0.1} and {@code [0:0:0:0:0:0:0:1]}, Tomcat the
     * IPv6 one without brackets.
     */
    private static final Set<String> COMMON = Set.of("127.0.0.1", "0:0:0:0:0:0:0:1",
            "[0:0:0:0:0:0:0:1]", "::1", "[::1]");

    private Loopback() {}

    /**
     * The address an IP literal names ({@code 127.0.0.1}, {@code ::1}, {@code [::1]},
     * {@code ::ffff:127.0.0.1}), or null for anything else; never a DNS lookup.
     */
    public static InetAddress parse(String text) {
        if (text == null) {
            return null;
        }
        String literal = text.strip();
        if (literal.length() > 2 && literal.startsWith("[") && literal.endsWith("]")) {
            literal = literal.substring(1, literal.length() - 1);
            if (!IPV6.matcher(literal).matches()) {
                return null;
            }
        } else if (!IPV4.matcher(literal).matches() && !IPV6.matcher(literal).matches()) {
            return null;
        }
        try {
            // In brackets the JDK reads the text as an IPv6 literal or fails: it never resolves.
            return InetAddress.getByName(literal.indexOf(':') >= 0 ? "[" + literal + "]"
                    : literal);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /**
     * True for an IP literal of this machine's loopback interface, IPv4-mapped IPv6 included (the
     * JDK reads {@code ::ffff:127.0.0.1} as {@code 127.0.0.1}); false for any name.
     */
    public static boolean literal(String address) {
        if (common(address)) {
            return true;
        }
        InetAddress parsed = parse(address);
        return parsed != null && parsed.isLoopbackAddress();
    }

    /** True for a loopback literal written the way containers write it; false says nothing. */
    static boolean common(String address) {
        return address != null && COMMON.contains(address);
    }

    /**
     * True when a host to listen on is this machine only: a loopback literal, or a name all of
     * whose addresses are loopback. Resolves names, so for start-up only.
     */
    static boolean host(String host) {
        if (parse(host) != null) {
            return literal(host);
        }
        try {
            InetAddress[] all = InetAddress.getAllByName(host);
            for (InetAddress address : all) {
                if (!address.isLoopbackAddress()) {
                    return false;
                }
            }
            return all.length > 0;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
