package dev.sluice.relay;

import dev.sluice.config.Secret;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes anything that looks like a credential from text that came from upstream (error
 * messages, exception texts) before it reaches a client or a log.
 */
final class Redaction {

    private static final Pattern KEY_LIKE = Pattern.compile(
            "(?i)\\b(sk|sk-proj|sk-ant|rk|pk)-[A-Za-z0-9_*.\\-]{6,}"
                    + "|\\bBearer\\s+[^\\s\"',;]+"
                    + "|((?:api[_-]?key|token|secret|password)[\"']?\\s*[:=]\\s*[\"']?)[^\\s\"',;&]+");

    private final Secret key;

    /** @param key the configured upstream key, removed wherever it appears; may be null */
    Redaction(Secret key) {
        this.key = key;
    }

    String scrub(String text) {
        if (text == null) {
            return null;
        }
        String scrubbed = key == null ? text : text.replace(key.value(), "[redacted]");
        return KEY_LIKE.matcher(scrubbed).replaceAll(m -> Matcher.quoteReplacement(
                m.group(2) != null ? m.group(2) + "[redacted]" : "[redacted]"));
    }
}
