package dev.sluice.observe;

import dev.sluice.config.Secret;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces anything that looks like a credential, in text that came from upstream (error
 * messages, exception texts), with a short hash of it before it reaches a client or a log.
 */
public final class Redaction {

    /**
     * Provider keys (sk-, sk-proj-, sk-ant-, rk-, pk-: a digit or a mask {@code *} in them, or 16
     * characters at least, so that "pk-constraint" is not one), bearer tokens, and the value of a
     * named credential: any after {@code =}, quoted after {@code :}, or with a digit after
     * {@code :} ("password: required" is prose, "api-key: abc123" is not).
     */
    private static final Pattern KEY_LIKE = Pattern.compile(
            "\\b(?i:sk|rk|pk)-(?:(?=[A-Za-z0-9_*-]*[0-9*])[A-Za-z0-9_*-]{6,}|[A-Za-z0-9_*-]{16,})"
                    + "|(?i)\\bBearer\\s+[^\\s\"',;]+"
                    + "|((?:api[_-]?key|token|secret|password)[\"']?\\s*"
                    + "(?:=\\s*[\"']?|:\\s*[\"']|:\\s*(?=[^\\s\"',;&]*\\d)))[^\\s\"',;&]+");

    /** For text from anywhere, logs included: anything key-shaped, no configured key. */
    static final Redaction KEY_SHAPED = new Redaction(List.of());

    private final List<Secret> keys;

    /** @param keys the configured upstream keys, removed wherever they appear */
    public Redaction(Collection<Secret> keys) {
        this.keys = List.copyOf(keys);
    }

    /** @param key the configured upstream key, removed wherever it appears; may be null */
    Redaction(Secret key) {
        this(key == null ? List.of() : List.of(key));
    }

    public String scrub(String text) {
        if (text == null) {
            return null;
        }
        String scrubbed = text;
        for (Secret key : keys) {
            scrubbed = scrubbed.replace(key.value(), mark(key.value()));
        }
        return KEY_LIKE.matcher(scrubbed).replaceAll(m -> {
            String named = m.group(1);
            String secret = named == null ? m.group() : m.group().substring(named.length());
            return Matcher.quoteReplacement((named == null ? "" : named) + mark(secret));
        });
    }

    /** What stands in for a secret: a short hash, so that two mentions can be told apart. */
    private static String mark(String secret) {
        return "[redacted " + new Secret(secret).fingerprint().substring("sha256:".length()) + "]";
    }
}
