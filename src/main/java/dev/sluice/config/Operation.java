package dev.sluice.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One kind of request a route relays with its key: a method and a path under the route's prefix,
 * each segment of which is literal or a placeholder ({@code {id}} or {@code *}) that stands for
 * exactly one plain segment.
 */
public record Operation(String method, String path) {

    /** The methods the upstream client sends: a POST with a JSON body, or a GET without. */
    public static final Set<String> METHODS = Set.of("POST", "GET");

    private static final Pattern LITERAL = Pattern.compile("[A-Za-z0-9_~.-]+");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\*|\\{[A-Za-z][A-Za-z0-9_-]*}");
    private static final String SHAPE = "the path must be plain segments (letters, digits, "
            + "'-', '_', '.', '~'), {name} or *, each standing for one segment, e.g. "
            + "/responses/{id}";
    /**
     * What a route relays when its table names nothing: its dialect's streaming endpoint (built
     * after the patterns above, which the constructor uses).
     */
    private static final Map<String, List<Operation>> DEFAULTS = Map.of(
            "openai-chat", List.of(new Operation("POST", "/chat/completions")),
            "openai-responses", List.of(new Operation("POST", "/responses")),
            "anthropic-messages", List.of(new Operation("POST", "/v1/messages")),
            "customgpt", List.of(new Operation("POST", "/conversations/{session}/messages")));

    public Operation {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        if (!METHODS.contains(method)) {
            throw new IllegalArgumentException("'" + method + " " + path + "': the method must "
                    + "be POST or GET, the only ones Sluice relays");
        }
        if (!path.startsWith("/") || path.endsWith("/")) {
            throw new IllegalArgumentException("'" + method + " " + path + "': " + SHAPE);
        }
        for (String segment : path.substring(1).split("/", -1)) {
            boolean literal = LITERAL.matcher(segment).matches() && !segment.equals(".")
                    && !segment.equals("..");
            if (!literal && !PLACEHOLDER.matcher(segment).matches()) {
                throw new IllegalArgumentException("'" + method + " " + path + "': " + SHAPE);
            }
        }
    }

    /** Reads {@code POST /chat/completions}; the method in any case. */
    public static Operation parse(String text) {
        String[] parts = text.strip().split("\\s+");
        if (parts.length != 2) {
            throw new IllegalArgumentException("'" + text.strip() + "' must be a method and a "
                    + "path, e.g. POST /chat/completions");
        }
        return new Operation(parts[0].toUpperCase(Locale.ROOT), parts[1]);
    }

    /** The operations a route of {@code dialect} relays unless its table names others. */
    public static List<Operation> defaults(String dialect) {
        return DEFAULTS.getOrDefault(dialect, List.of());
    }

    /**
     * True when {@code rest}, a path of plain segments as it will be sent upstream, has this
     * path's shape; the comparison is exact, so case, encodings and slashes cannot stretch it.
     */
    public boolean matches(String rest) {
        if (path.indexOf('{') < 0 && path.indexOf('*') < 0) {
            return rest.equals(path); // all literal, and the constructor checked each segment
        }
        String[] want = path.split("/", -1);
        String[] got = rest.split("/", -1);
        if (want.length != got.length) {
            return false;
        }
        for (int i = 0; i < want.length; i++) {
            boolean plain = LITERAL.matcher(got[i]).matches() && !got[i].equals(".")
                    && !got[i].equals("..");
            boolean any = PLACEHOLDER.matcher(want[i]).matches();
            if ((i > 0 && !plain) || (!any && !want[i].equals(got[i]))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return method + " " + path;
    }
}
