package dev.sluice.relay;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.access.Refusal;
import dev.sluice.config.Policy;
import dev.sluice.dialect.Dialect;
import dev.sluice.dialect.Json;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client's request as it goes upstream: the JSON body after the route's policy (the client's
 * bytes unchanged when the policy changes nothing), whether it asks for a stream, and the model.
 *
 * @param body the body to send, or null for a request without one (GET)
 * @param usageRequested the relay asked the upstream for usage the client did not ask for
 */
record ClientRequest(byte[] body, boolean stream, String model, boolean usageRequested) {

    /** Bounds on what a client's JSON may make the parser do, well within any real request. */
    private static final ObjectMapper JSON = new ObjectMapper(Json.factory()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(64).maxNumberLength(64).maxNameLength(1024).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build());
    private static final List<String> TOKEN_CAPS = List.of(
            "max_tokens", "max_completion_tokens", "max_output_tokens");
    /** The body fields Sluice reads whatever the route's policy. */
    private static final List<String> READ_FIELDS = List.of("model", "stream", "stream_options",
            "max_tokens", "max_completion_tokens", "max_output_tokens");
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'",
            Pattern.DOTALL);

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
        ObjectNode root = parse(body);
        refuseCaseVariants(root, policy);
        boolean changed = apply(root, policy, dialect);
        JsonNode stream = root.path("stream");
        if (!stream.isMissingNode() && !stream.isNull() && !stream.isBoolean()) {
            throw new Refusal(400, "invalid_request_error", "'stream' must be true or false");
        }
        boolean usage = dialect.requestUsage(root);
        return new ClientRequest(changed || usage ? JSON.writeValueAsBytes(root) : body,
                stream.asBoolean(false), root.path("model").textValue(), usage);
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

    /**
     * The body as one JSON object, or a refusal. Forwarded unchanged, its bytes must mean to any
     * upstream's parser what they meant to the policy: so strict UTF-8 (no byte order mark, no
     * overlong forms, never UTF-16 guessed from the bytes), no key twice in one object (some
     * parsers take the first, some the last) and nothing after the object.
     */
    private static ObjectNode parse(byte[] body) throws Refusal {
        if (body.length >= 3 && (body[0] & 0xff) == 0xef && (body[1] & 0xff) == 0xbb
                && (body[2] & 0xff) == 0xbf) {
            throw invalid("request body starts with a byte order mark; send plain UTF-8");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw invalid("request body is not valid UTF-8");
        }
        JsonNode root;
        try (JsonParser parser = JSON.createParser(text)) {
            root = JSON.readTree(parser);
            if (root != null && hasMore(parser)) {
                throw invalid("request body has more after its JSON object; send one object");
            }
        } catch (JacksonException e) {
            Matcher duplicate = DUPLICATE.matcher(e.getOriginalMessage());
            if (duplicate.matches()) {
                throw invalid("request body has the key '" + duplicate.group(1)
                        + "' twice in one object");
            }
            String where = e.getLocation() == null ? "" : " at line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw invalid("request body is not valid JSON: " + e.getOriginalMessage() + where);
        } catch (IOException e) {
            throw invalid("request body could not be read");
        }
        if (!(root instanceof ObjectNode object)) {
            throw invalid("request body must be a JSON object");
        }
        return object;
    }

    private static boolean hasMore(JsonParser parser) {
        try {
            return parser.nextToken() != null;
        } catch (IOException e) {
            return true; // not even a token: garbage after the object
        }
    }

    /**
     * Refuses a key that differs from a field the policy reads only by case: an upstream that
     * matches keys without case (Go's {@code encoding/json}, as Ollama's) would take its value,
     * which Sluice never checked. {@link String#equalsIgnoreCase} also folds the Kelvin sign and
     * the long s, as Go does.
     */
    private static void refuseCaseVariants(ObjectNode root, Policy policy) throws Refusal {
        Set<String> read = new LinkedHashSet<>(READ_FIELDS);
        read.addAll(policy.forced().keySet());
        read.addAll(policy.defaults().keySet());
        refuseCaseVariants(root, read, "");
        if (root.get("stream_options") instanceof ObjectNode options) {
            refuseCaseVariants(options, Set.of("include_usage"), "stream_options.");
        }
    }

    private static void refuseCaseVariants(ObjectNode object, Set<String> read, String prefix)
            throws Refusal {
        for (Map.Entry<String, JsonNode> property : object.properties()) {
            String key = property.getKey();
            for (String field : read) {
                if (!key.equals(field) && key.equalsIgnoreCase(field)) {
                    throw invalid("request body has the key '" + prefix + key + "', which "
                            + "differs from '" + prefix + field + "' only by case; send '"
                            + prefix + field + "'");
                }
            }
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
            throw invalid("'model' must be a string");
        }
        String model = named.textValue();
        if (!policy.models().isEmpty() && (model == null || !policy.models().contains(model))) {
            throw invalid((model == null ? "a model is required"
                    : "model '" + model + "' is not allowed") + "; this route allows: "
                    + String.join(", ", policy.models().stream().sorted().toList()));
        }
        Integer cap = policy.maxTokens();
        if (cap != null) {
            boolean capped = false;
            for (String field : TOKEN_CAPS) {
                if (root.has(field)) {
                    capped = true;
                    if (!root.get(field).canConvertToLong() || root.get(field).asLong() > cap) {
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

    private static Refusal invalid(String message) {
        return new Refusal(400, "invalid_request_error", message);
    }

    private static Refusal tooLarge(int maxBytes) {
        return new Refusal(413, "invalid_request_error",
                "request body is larger than " + maxBytes + " bytes");
    }
}
