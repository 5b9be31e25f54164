package dev.sluice.dialect;

import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.UnaryOperator;

/** The JSON work the dialects share: lenient parsing, scrubbing, quoting. */
public final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper(factory().build());
    private static final int MAX_QUOTED_CHARS = 500;

    private Json() {}

    /**
     * A factory whose parsing buffers are shared by all threads. Jackson's default keeps a set per
     * thread, and a virtual thread lives as long as its stream: 8,000 open streams held 8,000 sets
     * of buffers (about 12 KiB each) that parsed one request and then lay idle.
     */
    public static JsonFactoryBuilder factory() {
        return new JsonFactoryBuilder().recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool());
    }

    /** The shared {@link ObjectMapper} on {@link #factory()}; thread-safe. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** The parsed value, or null when the text is not JSON. */
    static JsonNode parse(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    static JsonNode parse(byte[] bytes) {
        try {
            return MAPPER.readTree(bytes);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * True when {@code data} may hold the field {@code name} with an object for its value: a
     * cheap look that picks the events worth parsing, never the answer, which only parsing gives.
     * Any whitespace may surround the colon (Python's {@code json.dumps} puts a space after it),
     * and an escape could spell the name, so text with a Unicode escape is always worth it.
     */
    static boolean mayHoldObject(String data, String name) {
        if (data == null) {
            return false;
        }
        if (data.contains("\\u")) {
            return true;
        }
        String key = '"' + name + '"';
        for (int at = data.indexOf(key); at >= 0; at = data.indexOf(key, at + 1)) {
            int i = skipSpace(data, at + key.length());
            if (i < data.length() && data.charAt(i) == ':') {
                i = skipSpace(data, i + 1);
                if (i < data.length() && data.charAt(i) == '{') {
                    return true;
                }
            }
        }
        return false;
    }

    /** True when {@code data} may hold the string {@code word}, quoted, as a key or a value. */
    static boolean mayMention(String data, String word) {
        return data != null && (data.contains('"' + word + '"') || data.contains("\\u"));
    }

    private static int skipSpace(String data, int i) {
        while (i < data.length() && " \t\r\n".indexOf(data.charAt(i)) >= 0) {
            i++;
        }
        return i;
    }

    /** A count in a usage object, or null when it is absent or not a number. */
    static Long count(JsonNode usage, String field) {
        JsonNode node = usage.path(field);
        return node.isNumber() ? node.longValue() : null;
    }

    /** The usage object's two counts, or {@link Dialect.Usage#UNKNOWN} when it is no object. */
    static Dialect.Usage usage(JsonNode usage, String input, String output) {
        return usage == null || !usage.isObject() ? Dialect.Usage.UNKNOWN
                : new Dialect.Usage(count(usage, input), count(usage, output));
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static byte[] bytes(JsonNode node) {
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * "upstream answered HTTP 502: <start of its text>", scrubbed before it is cut, so that a
     * secret across the cut leaves no prefix behind.
     */
    static String quote(int status, byte[] body, UnaryOperator<String> scrub) {
        String text = scrub.apply(new String(body, StandardCharsets.UTF_8).strip());
        if (text.length() > MAX_QUOTED_CHARS) {
            int end = Character.isHighSurrogate(text.charAt(MAX_QUOTED_CHARS - 1))
                    ? MAX_QUOTED_CHARS - 1 : MAX_QUOTED_CHARS;
            text = text.substring(0, end) + "...";
        }
        return "upstream answered HTTP " + status + (text.isEmpty() ? "" : ": " + text);
    }

    /**
     * A copy of {@code node} with every string in it passed through {@code scrub}, field names
     * too: an upstream can put a secret anywhere in its JSON.
     */
    static JsonNode scrubbed(JsonNode node, UnaryOperator<String> scrub) {
        if (node.isTextual()) {
            return TextNode.valueOf(scrub.apply(node.textValue()));
        }
        if (node instanceof ObjectNode object) {
            ObjectNode copy = object.objectNode();
            for (Map.Entry<String, JsonNode> field : object.properties()) {
                copy.set(scrub.apply(field.getKey()), scrubbed(field.getValue(), scrub));
            }
            return copy;
        }
        if (node instanceof ArrayNode array) {
            ArrayNode copy = array.arrayNode(array.size());
            for (JsonNode element : array) {
                copy.add(scrubbed(element, scrub));
            }
            return copy;
        }
        return node;
    }

    /**
     * Text that may be JSON, scrubbed as {@link #scrubbed} when it is an object or an array (so
     * that it stays valid JSON), else as text; the same text when there was nothing to scrub.
     */
    static String scrubbedText(String text, UnaryOperator<String> scrub) {
        JsonNode json = parse(text);
        if (json == null || !json.isContainerNode()) {
            return scrub.apply(text);
        }
        JsonNode scrubbed = scrubbed(json, scrub);
        return scrubbed.equals(json) ? text : scrubbed.toString();
    }

    /** A status that fits an error's type or code words, for errors that arrive as events. */
    static int statusOf(String words) {
        if (words.contains("rate_limit") || words.contains("insufficient_quota")) {
            return 429;
        }
        if (words.contains("overloaded")) {
            return 529;
        }
        if (words.contains("invalid_api_key") || words.contains("authentication")) {
            return 401;
        }
        if (words.contains("permission")) {
            return 403;
        }
        if (words.contains("not_found")) {
            return 404;
        }
        if (words.contains("invalid_request")) {
            return 400;
        }
        return 502;
    }
}
