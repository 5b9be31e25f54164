package dev.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What a route decides for its clients, so that nobody can spend its key on something else.
 *
 * @param models the models a client may ask for; empty allows any
 * @param maxTokens the most output tokens a request may ask for, or null for no cap
 * @param forced body fields set whatever the client sent
 * @param defaults body fields set when the client sent none
 * @param query query parameters added to every upstream request, replacing the client's
 * @param headers extra headers on every upstream request
 */
public record Policy(Set<String> models, Integer maxTokens, Map<String, JsonNode> forced,
        Map<String, JsonNode> defaults, Map<String, String> query, Map<String, String> headers) {

    private static final Pattern CREDENTIAL = Pattern.compile(
            "(?i)key|token|secret|auth|cookie|password|signature");

    public static final Policy NONE = new Policy(Set.of(), null, Map.of(), Map.of(), Map.of(),
            Map.of());

    public Policy {
        models = Set.copyOf(models);
        forced = Map.copyOf(forced);
        defaults = Map.copyOf(defaults);
        query = Map.copyOf(query);
        headers = Map.copyOf(headers);
        if (maxTokens != null && maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be positive: " + maxTokens);
        }
    }

    /**
     * What the policy does, for the start-up log, e.g. {@code models a, b; max tokens 1000;
     * header anthropic-version: 2023-06-01}; empty when it does nothing. A header whose name
     * says it holds a credential shows only its name.
     */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (!models.isEmpty()) {
            parts.add("models " + String.join(", ", new TreeSet<>(models)));
        }
        if (maxTokens != null) {
            parts.add("max tokens " + maxTokens);
        }
        if (!forced.isEmpty()) {
            parts.add("forces " + pairs(forced, "="));
        }
        if (!defaults.isEmpty()) {
            parts.add("defaults " + pairs(defaults, "="));
        }
        if (!query.isEmpty()) {
            parts.add("query " + pairs(query, "="));
        }
        if (!headers.isEmpty()) {
            Map<String, String> shown = new TreeMap<>();
            headers.forEach((name, value) -> shown.put(name,
                    CREDENTIAL.matcher(name).find() ? "(hidden)" : value));
            parts.add("header " + pairs(shown, ": "));
        }
        return String.join("; ", parts);
    }

    private static String pairs(Map<String, ?> map, String separator) {
        return new TreeMap<>(map).entrySet().stream()
                .map(e -> e.getKey() + separator + e.getValue()).collect(Collectors.joining(", "));
    }

    /** True when the body needs no change and no check. */
    public boolean isEmpty() {
        return models.isEmpty() && maxTokens == null && forced.isEmpty() && defaults.isEmpty();
    }
}
