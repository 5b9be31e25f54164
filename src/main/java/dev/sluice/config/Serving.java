package dev.sluice.config;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How a route's upstream is called beyond its URL and keys, and what stands behind it.
 *
 * @param keyHeader the header that carries the key bare (Azure OpenAI's {@code api-key}), or null
 *     for the dialect's own ({@code Authorization: Bearer}, {@code x-api-key})
 * @param models model names this upstream knows by another name: the body's {@code model} is
 *     renamed before it is sent here (an Azure OpenAI deployment, a local model)
 * @param fallbacks the routes tried in order when this one cannot start a stream
 * @param exposed false: the route answers no client under its prefix, and serves only as a
 *     fallback
 * @param maxConcurrent the most answers of this upstream open at once (every chain it is in
 *     counts); 0 for no bound
 */
public record Serving(String keyHeader, Map<String, String> models, List<String> fallbacks,
        boolean exposed, int maxConcurrent) {

    public static final Serving DEFAULT = new Serving(null, Map.of(), List.of(), true);

    /** An HTTP token (RFC 9110 section 5.6.2), so it cannot split or smuggle a header. */
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    public Serving {
        if (maxConcurrent < 0) {
            throw new IllegalArgumentException("max-concurrent must not be negative, got "
                    + maxConcurrent);
        }
        models = Map.copyOf(models);
        fallbacks = List.copyOf(fallbacks);
        if (keyHeader != null && !TOKEN.matcher(keyHeader).matches()) {
            throw new IllegalArgumentException("key-header must be a header name, got '"
                    + keyHeader + "'");
        }
    }

    /** Without a bound on open answers. */
    public Serving(String keyHeader, Map<String, String> models, List<String> fallbacks,
            boolean exposed) {
        this(keyHeader, models, fallbacks, exposed, 0);
    }

    /** What differs from the default, for the start-up log: "; falls back to a, b", ... */
    String describe() {
        StringBuilder text = new StringBuilder();
        if (keyHeader != null) {
            text.append("; key in header ").append(keyHeader);
        }
        if (!models.isEmpty()) {
            text.append("; asks for ").append(String.join(", ", models.entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .map(e -> e.getKey() + " as " + e.getValue()).toList()));
        }
        if (!fallbacks.isEmpty()) {
            text.append("; falls back to ").append(String.join(", ", fallbacks));
        }
        if (maxConcurrent > 0) {
            text.append("; at most ").append(maxConcurrent).append(" open at once");
        }
        return text.toString();
    }

    /** The model to ask this upstream for in place of {@code model} (null: none asked). */
    public String model(String model) {
        return model == null ? null : models.getOrDefault(model, model);
    }
}
