package dev.sluice.relay;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.access.Refusal;
import dev.sluice.dialect.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a client's body the one way every upstream reads it, so that a body forwarded unchanged
 * holds upstream exactly what the policy checked; anything else is a 400 that says why.
 */
final class StrictJson {

    /** Bounds on what a client's JSON may make the parser do, well within any real request. */
    static final ObjectMapper MAPPER = new ObjectMapper(Json.factory()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(64).maxNumberLength(64).maxNameLength(1024).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build());
    /** Reads trees with the mapper's settings, its deserializer found once, not per body. */
    private static final ObjectReader TREE = MAPPER.readerFor(JsonNode.class);
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'",
            Pattern.DOTALL);

    private StrictJson() {}

    /**
     * The body as one JSON object, or a refusal. Forwarded unchanged, its bytes must mean to any
     * upstream's parser what they meant to the policy: so strict UTF-8 (no byte order mark, no
     * overlong forms, never UTF-16 guessed from the bytes), no key twice in one object (some
     * parsers take the first, some the last) and nothing after the object.
     */
    static ObjectNode parse(byte[] body) throws Refusal {
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
        try (JsonParser parser = TREE.createParser(text)) {
            root = TREE.readTree(parser);
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

    /**
     * A body that {@link #parse} read, with {@code member} ({@code "name":value}) added last to
     * its object; the rest stays the client's bytes. As {@link #parse} checked, the last byte that
     * is not JSON whitespace closes the object, and a UTF-8 sequence holds no ASCII byte.
     */
    static byte[] append(byte[] body, String member) {
        int close = before(body, body.length);
        boolean empty = body[before(body, close)] == '{';
        byte[] added = ((empty ? "" : ",") + member).getBytes(StandardCharsets.UTF_8);
        byte[] joined = new byte[body.length + added.length];
        System.arraycopy(body, 0, joined, 0, close);
        System.arraycopy(added, 0, joined, close, added.length);
        System.arraycopy(body, close, joined, close + added.length, body.length - close);
        return joined;
    }

    /** The index of the last byte before {@code end} that is not JSON whitespace (RFC 8259, 2). */
    private static int before(byte[] body, int end) {
        int i = end - 1;
        while (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r') {
            i--;
        }
        return i;
    }

    private static boolean hasMore(JsonParser parser) {
        try {
            return parser.nextToken() != null;
        } catch (IOException e) {
            return true; // not even a token: garbage after the object
        }
    }

    /**
     * Refuses a key of {@code object} that differs from one of {@code read} only by case: an
     * upstream that matches keys without case (Go's {@code encoding/json}, as Ollama's) would
     * take its value, which Sluice never checked. {@link String#equalsIgnoreCase} also folds the
     * Kelvin sign and the long s, as Go does.
     *
     * @param prefix the object's path in the body, for the message: "" or "stream_options."
     */
    static void refuseCaseVariants(ObjectNode object, Collection<String> read, String prefix)
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

    static Refusal invalid(String message) {
        return new Refusal(400, "invalid_request_error", message);
    }
}
