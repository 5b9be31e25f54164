package dev.sluice.config;

import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/**
 * Who may call Sluice: clients with static tokens (only their SHA-256 is configured), users of
 * an application's own login with a JWT, and, only when configured, anonymous callers.
 *
 * @param tokens clients by the SHA-256 of their token, in hex
 * @param jwt how to verify JWTs, or null when none are accepted
 * @param anonymous the limits of callers without a token, or null when they are refused
 * @param trustedProxies IP addresses whose {@code Forwarded}, {@code X-Forwarded-For} and
 *     {@code X-Real-IP} are believed
 */
public record Access(Map<String, Client> tokens, Jwt jwt, Client anonymous,
        Set<String> trustedProxies) {

    /** No authentication: every caller is {@link Client#ANYONE}, and only this machine may call. */
    public static final Access NONE = new Access(Map.of(), null, null, Set.of());

    public Access {
        tokens = Map.copyOf(tokens);
        trustedProxies = Set.copyOf(trustedProxies);
        for (String proxy : trustedProxies) {
            if (Loopback.parse(proxy) == null) {
                // Names are not resolved: a request is never held up by DNS.
                throw new IllegalArgumentException("trusted-proxies: '" + proxy
                        + "' is not an IP address");
            }
        }
        for (String hash : tokens.keySet()) {
            if (hash.length() != 64 || !hash.chars().allMatch(HexFormat::isHexDigit)) {
                // The value is not shown: it may be a token pasted in place of its hash.
                throw new IllegalArgumentException("a token hash is 64 hex digits; one is not");
            }
        }
    }

    /** True when callers must say who they are (or anonymous access was chosen explicitly). */
    public boolean configured() {
        return !tokens.isEmpty() || jwt != null || anonymous != null;
    }
}
