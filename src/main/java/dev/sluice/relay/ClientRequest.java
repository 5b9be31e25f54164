package dev.sluice.relay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.access.Refusal;
import dev.sluice.config.Policy;
import dev.sluice.dialect.Dialect;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A client's request as it goes upstream: the JSON body after the route's policy (the client's
 * bytes unchanged when the policy changes nothing), whether it asks for a stream, and the model.
 *
 * @param body the body to send, or null for a request without one (GET)
 * @param usageRequested the relay asked the upstream for usage the client did not ask for
 */
record ClientRequest(byte[] body, boolean stream, String model, boolean usageRequested) {

    private static final List<String> TOKEN_CAPS = List.of(
            "max_tokens", "max_completion_tokens", "max_output_tokens");
    /** The body fields Sluice reads whatever the route's policy. */
    private static final List<String> READ_FIELDS = List.of("model", "stream", "stream_options",
            "max_tokens", "max_completion_tokens", "max_output_tokens");

    static ClientRequest read(HttpServletRequest request, int maxBytes, Policy policy,
            Dialect dialect) throws Refusal, IOException {
        if ("GET".equals(request.getMethod())) {
            return new ClientRequest(null, false, null, false);
        }
        String type = request.getContentType();
        if (type == null || !isJson(type)) {
            throw new Refusal(415, "invalid_request_error", "send the body as JSON, with "
                    + "'Content-Type: application/json'" + (type == null ? ""
                            : " (not '" + type.replaceAll("[^\\x20-\\x7e]", "?") + "')"));
        }
        byte[] body = readBody(request, maxBytes);
        ObjectNode root = StrictJson.parse(body);
        refuseCaseVariants(root, policy);
        boolean changed = apply(root, policy, dialect);
        JsonNode stream = root.path("stream");
        if (!stream.isMissingNode() && !stream.isNull() && !stream.isBoolean()) {
            throw new Refusal(400, "invalid_request_error", "'stream' must be true or false");
        }
        boolean usage = dialect.requestUsage(root);
        byte[] sent = changed || usage ? StrictJson.MAPPER.writeValueAsBytes(root) : body;
        return new ClientRequest(sent, stream.asBoolean(false), root.path("model").textValue(),
                usage);
    }

    private static boolean isJson(String contentType) {
        String media = contentType.split(";", 2)[0].strip().toLowerCase(java.util.Locale.ROOT);
        return media.equals("application/json") || media.endsWith("+json");
    }

    private static byte[] readBody(HttpServletRequest request, int maxBytes)
            throws Refusal, IOException {
        if (request.getContentLengthLong() > maxBytes) {
            throw tooLarge(maxBytes);
        }
        byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes(maxBytes + 1);
        }
        if (body.length > maxBytes) {
            throw tooLarge(maxBytes);
        }
        return body;
    }

    /** Refuses keys equal but for case to a field read here or by the route's policy. */
    private static void refuseCaseVariants(ObjectNode root, Policy policy) throws Refusal {
        Set<String> read = new LinkedHashSet<>(READ_FIELDS);
        read.addAll(policy.forced().keySet());
        read.addAll(policy.defaults().keySet());
        StrictJson.refuseCaseVariants(root, read, "");
        if (root.get("stream_options") instanceof ObjectNode options) {
            StrictJson.refuseCaseVariants(options, Set.of("include_usage"), "stream_options.");
        }
    }

    /** The route's policy on the body: defaults, forced fields, model allowlist, token cap. */
    private static boolean apply(ObjectNode root, Policy policy, Dialect dialect) throws Refusal {
        boolean changed = false;
        for (Map.Entry<String, JsonNode> field : policy.defaults().entrySet()) {
            if (!root.has(field.getKey())) {
                root.set(field.getKey(), field.getValue().deepCopy());
                changed = true;
            }
        }
        for (Map.Entry<String, JsonNode> field : policy.forced().entrySet()) {
            root.set(field.getKey(), field.getValue().deepCopy());
            changed = true;
        }
        JsonNode named = root.path("model");
        if (!named.isMissingNode() && !named.isNull() && !named.isTextual()) {
            throw new Refusal(400, "invalid_request_error", "'model' must be a string");
        }
        String model = named.textValue();
        if (!policy.models().isEmpty() && (model == null || !policy.models().contains(model))) {
            throw new Refusal(400, "invalid_request_error", (model == null ? "a model is required"
                    : "model '" + model + "' is not allowed") + "; this route allows: "
                    + String.join(", ", policy.models().stream().sorted().toList()));
        }
        Integer cap = policy.maxTokens();
        if (cap != null) {
            boolean capped = false;
            for (String field : TOKEN_CAPS) {
                if (root.has(field)) {
                    capped = true;
                    // 100.9 passed as 100 here, and an upstream may round it up past the cap.
                    JsonNode asked = root.get(field);
                    if (!asked.isIntegralNumber() || !asked.canConvertToLong()
                            || asked.asLong() > cap) {
                        root.put(field, cap);
                        changed = true;
                    }
                }
            }
            if (!capped && dialect.maxTokensField() != null) {
                root.put(dialect.maxTokensField(), cap);
                changed = true;
            }
        }
        return changed;
    }

    private static Refusal tooLarge(int maxBytes) {
        return new Refusal(413, "invalid_request_error",
                "request body is larger than " + maxBytes + " bytes");
    }
}
