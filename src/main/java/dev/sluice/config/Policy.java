package dev.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Set;

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

    /** True when the body needs no change and no check. */
    public boolean isEmpty() {
        return models.isEmpty() && maxTokens == null && forced.isEmpty() && defaults.isEmpty();
    }
}
