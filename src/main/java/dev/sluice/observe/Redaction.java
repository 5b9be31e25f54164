package dev.sluice.observe;

import dev.sluice.config.Secret;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces anything that looks like a credential, and every configured key whatever it looks like,
 * in text that came from upstream (error messages, exception texts), with a short hash of it
 * before it reaches a client or a log. Thread-safe; the keys only grow, by {@link #learn}.
 */
public final class Redaction {

    /**
     * Provider keys (sk-, sk-proj-, sk-ant-, rk-, pk-: a digit or a mask {@code *} in them, or 16
     * characters at least, so that "pk-constraint" is not one), bearer tokens (RFC 6750's
     * b64token: "Bearer &lt;token&gt;" and "the bearer token is" are prose), and the value of a
     * named credential: any after {@code =}, quoted after {@code :}, or with a digit after
     * {@code :} ("password: required" is prose, "api-key: abc123" is not).
     */
    static final Pattern KEY_LIKE = Pattern.compile(
            "\\b(?i:sk|rk|pk)-(?:(?=[A-Za-z0-9_*-]*[0-9*])[A-Za-z0-9_*-]{6,}|[A-Za-z0-9_*-]{16,})"
                    + "|(?i)\\bBearer\\s+(?!(?:token|tokens|auth|authentication|authorization"
                    + "|scheme|header|credentials?)\\b)[A-Za-z0-9._~+/-]+=*"
                    + "|((?:api[_-]?key|token|secret|password)[\"']?\\s*"
                    + "(?:=\\s*[\"']?|:\\s*[\"']|:\\s*(?=[^\\s\"',;&]*\\d)))[^\\s\"',;&]+");

    /**
     * What the log encoders and Jetty's error pages scrub with, which the container creates
     * itself and cannot be handed a configuration: anything key-shaped, and every key that
     * {@link #learnEverywhere} was given in this process. Replaced whole, never changed, so a
     * reader on any thread sees a complete one without locking.
     */
    private static volatile Redaction everywhere = new Redaction(List.of());

    /** The keys and their scrubber, replaced whole when a reload adds keys. */
    private volatile Known known;

    private record Known(List<Secret> keys, KeyScrubber inEvents) {

        static Known of(Collection<Secret> keys) {
            // The longest first, so that a key inside another cannot leave the rest of that one.
            List<Secret> sorted = keys.stream().distinct()
                    .sorted(Comparator.comparingInt((Secret key) -> key.value().length())
                            .reversed())
                    .toList();
            return new Known(sorted, new KeyScrubber(sorted));
        }
    }

    /** @param keys the configured upstream keys, removed wherever they appear */
    public Redaction(Collection<Secret> keys) {
        this.known = Known.of(keys);
    }

    /**
     * Adds keys that a reload brought. None is forgotten: an answer or a log line made with a
     * key that was rotated out may still be on its way.
     */
    public synchronized void learn(Collection<Secret> keys) {
        Set<Secret> all = new LinkedHashSet<>(known.keys());
        if (all.addAll(keys)) {
            known = Known.of(all);
        }
    }

    /** @param key the configured upstream key, removed wherever it appears; may be null */
    Redaction(Secret key) {
        this(key == null ? List.of() : List.of(key));
    }

    /** The redaction for text that no configuration reaches: logs, the container's errors. */
    public static Redaction everywhere() {
        return everywhere;
    }

    /**
     * Adds configured keys to {@link #everywhere()}, once at start-up (several servers in one
     * process add theirs in turn; a key is never forgotten, as a log line may outlive its server).
     */
    public static synchronized void learnEverywhere(Collection<Secret> keys) {
        Set<Secret> all = new LinkedHashSet<>(everywhere.known.keys());
        if (all.addAll(keys)) {
            everywhere = new Redaction(all);
        }
    }

    /**
     * What removes the same keys, and only them, from the bytes of every event: a model may
     * write key-shaped text, which only error texts lose.
     */
    public KeyScrubber inEvents() {
        return known.inEvents();
    }

    public String scrub(String text) {
        if (text == null) {
            return null;
        }
        String scrubbed = text;
        for (Secret key : known.keys()) {
            if (scrubbed.contains(key.value())) { // its mark is a hash: made only when needed
                scrubbed = scrubbed.replace(key.value(), mark(key.value()));
            }
        }
        if (!mayLookLikeKey(scrubbed)) {
            return scrubbed; // most text: one pass over its characters instead of the pattern
        }
        return KEY_LIKE.matcher(scrubbed).replaceAll(m -> {
            String named = m.group(1);
            String secret = named == null ? m.group() : m.group().substring(named.length());
            return Matcher.quoteReplacement((named == null ? "" : named) + mark(secret));
        });
    }

    /**
     * Whether {@link #KEY_LIKE} could match: each of its forms holds a sign that this looks for
     * (a {@code -} after sk, rk or pk; white space after "bearer"; an {@code =} or {@code :}
     * after a credential's name, a quote and white space). It may say yes wrongly, never no.
     * Without {@code UNICODE_CASE} the pattern folds only ASCII letters, as this does.
     */
    static boolean mayLookLikeKey(String text) {
        for (int i = 2; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '-' && (endsWith(text, i, "sk") || endsWith(text, i, "rk")
                    || endsWith(text, i, "pk"))) {
                return true;
            }
            if (isSpace(c) && endsWith(text, i, "bearer")) {
                return true;
            }
            if (c == '=' || c == ':') {
                int end = i;
                while (end > 0 && isSpace(text.charAt(end - 1))) {
                    end--;
                }
                if (end > 0 && (text.charAt(end - 1) == '"' || text.charAt(end - 1) == '\'')) {
                    end--;
                }
                if (endsWith(text, end, "token") || endsWith(text, end, "secret")
                        || endsWith(text, end, "password") || endsWith(text, end, "apikey")
                        || endsWith(text, end, "api_key") || endsWith(text, end, "api-key")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether the characters just before {@code end} are {@code word}, in any ASCII case. */
    private static boolean endsWith(String text, int end, String word) {
        return end >= word.length()
                && text.regionMatches(true, end - word.length(), word, 0, word.length());
    }

    /** The pattern's {@code \s}: ASCII white space only. */
    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000b' || c == '\f' || c == '\r';
    }

    /** What stands in for a secret: a short hash, so that two mentions can be told apart. */
    static String mark(String secret) {
        return "[redacted " + new Secret(secret).fingerprint().substring("sha256:".length()) + "]";
    }
}
