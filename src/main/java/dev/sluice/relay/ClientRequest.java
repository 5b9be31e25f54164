package dev.sluice.relay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.access.Refusal;
import dev.sluice.config.Policy;
import dev.sluice.dialect.Dialect;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
    /** Set once the body is being read: a client that expects 100-continue then sends it. */
    private static final String READING = ClientRequest.class.getName() + ".reading";
    /** Set once the body has been read whole: nothing is left to look for. */
    private static final String READ = ClientRequest.class.getName() + ".read";
    /** Set when the body came too slowly: the rest is not waited for. */
    private static final String CUT = ClientRequest.class.getName() + ".cut";
    /** A refused body is read and dropped up to this, or four times the limit if that is more. */
    private static final long DISCARD_BYTES = 16L << 20;
    private static final Logger LOG = LoggerFactory.getLogger(ClientRequest.class);
    /**
     * The stream options a dialect adds to ask for usage; a body without any gets them as this
     * member added to its own bytes, not written anew.
     */
    private static final ObjectNode USAGE = StrictJson.MAPPER.createObjectNode()
            .put("include_usage", true);
    private static final String USAGE_MEMBER = "\"stream_options\":" + USAGE;
    /** The body fields Sluice reads whatever the route's policy. */
    private static final List<String> READ_FIELDS = List.of("model", "stream", "stream_options",
            "max_tokens", "max_completion_tokens", "max_output_tokens");

    /**
     * The body asking for {@code model} instead: the same bytes when it is the model asked for
     * (or none was), else written anew with that name (an upstream that calls it otherwise).
     */
    byte[] bodyFor(String model) {
        if (body == null || model == null || model.equals(this.model)) {
            return body;
        }
        try {
            ObjectNode root = (ObjectNode) StrictJson.MAPPER.readTree(body);
            root.put("model", model);
            return StrictJson.MAPPER.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new UncheckedIOException("a body read once reads again", e);
        }
    }

    /** Reads the body under {@code watchdog}, which cuts off a client too slow (408). */
    static ClientRequest read(HttpServletRequest request, int maxBytes, Policy policy,
            Dialect dialect, Watchdog watchdog) throws Refusal, IOException {
        if ("GET".equals(request.getMethod())) {
            return new ClientRequest(null, false, null, false);
        }
        String type = request.getContentType();
        if (type == null || !isJson(type)) {
            throw new Refusal(415, "invalid_request_error", "send the body as JSON, with "
                    + "'Content-Type: application/json'" + (type == null ? ""
                            : " (not '" + type.replaceAll("[^\\x20-\\x7e]", "?") + "')"));
        }
        byte[] body = readBody(request, maxBytes, watchdog);
        ObjectNode root = StrictJson.parse(body);
        refuseCaseVariants(root, policy);
        boolean changed = apply(root, policy, dialect);
        JsonNode stream = root.path("stream");
        if (!stream.isMissingNode() && !stream.isNull() && !stream.isBoolean()) {
            throw new Refusal(400, "invalid_request_error", "'stream' must be true or false");
        }
        boolean hadOptions = root.has("stream_options");
        boolean usage = dialect.requestUsage(root);
        byte[] sent = body;
        if (usage && !changed && !hadOptions && USAGE.equals(root.get("stream_options"))) {
            sent = StrictJson.append(body, USAGE_MEMBER);
        } else if (changed || usage) {
            sent = StrictJson.MAPPER.writeValueAsBytes(root);
        }
        return new ClientRequest(sent, stream.asBoolean(false), root.path("model").textValue(),
                usage);
    }

    private static boolean isJson(String contentType) {
        String media = contentType.split(";", 2)[0].strip().toLowerCase(java.util.Locale.ROOT);
        return media.equals("application/json") || media.endsWith("+json");
    }

    private static byte[] readBody(HttpServletRequest request, int maxBytes, Watchdog watchdog)
            throws Refusal, IOException {
        long declared = request.getContentLengthLong();
        if (declared > maxBytes) {
            throw tooLarge(maxBytes);
        }
        byte[] body;
        request.setAttribute(READING, Boolean.TRUE);
        try (InputStream in = request.getInputStream()) {
            // A declared length is read exactly, without one more read() to see the end.
            body = BodyRead.read(in, declared >= 0 ? (int) declared : maxBytes + 1, watchdog);
        } catch (Refusal cut) {
            request.setAttribute(CUT, Boolean.TRUE);
            throw cut;
        }
        if (body.length > maxBytes) {
            throw tooLarge(maxBytes);
        }
        request.setAttribute(READ, Boolean.TRUE);
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

    /**
     * Sends a refusal so that its client can read it. A client that writes its whole body before
     * it reads (Python's urllib, SDKs on httpx or fetch) would find the connection reset under it
     * if Sluice closed it with the body unread, never see the answer, and retry. So the refusal
     * goes out with {@code Connection: close} and is flushed whole, and the rest of the body is
     * read and dropped, up to a bound, before the connection closes. Closing the output stream
     * instead would let Tomcat close the connection at once (its own 2 MiB swallow limit).
     */
    static void refuse(HttpServletRequest request, HttpServletResponse response,
            Refusal refusal, Dialect dialect, int maxBytes, Watchdog watchdog) throws IOException {
        boolean cut = request.getAttribute(CUT) != null;
        boolean unread = !cut && bodyLeft(request);
        if (unread || cut) {
            response.setHeader("Connection", "close");
        }
        refusal.send(response, dialect);
        long bound = Math.max(DISCARD_BYTES, 4L * maxBytes);
        if (unread && request.getContentLengthLong() <= bound) {
            response.flushBuffer();
            discard(request, bound, watchdog);
        }
    }

    /** True when the client has body bytes still to send that nobody has read. */
    private static boolean bodyLeft(HttpServletRequest request) throws IOException {
        if (request.getAttribute(READ) != null) {
            return false; // read whole: nothing is left to look for
        }
        long length = request.getContentLengthLong();
        if (length == 0 || length < 0 && request.getHeader("Transfer-Encoding") == null) {
            return false;
        }
        if (request.getAttribute(READING) == null
                && "100-continue".equalsIgnoreCase(request.getHeader("Expect"))) {
            return false; // it waits to be told to send the body, and now never will be
        }
        return !request.getInputStream().isFinished();
    }

    private static void discard(HttpServletRequest request, long atMost, Watchdog watchdog) {
        try (InputStream in = request.getInputStream()) {
            BodyRead.discard(in, atMost, watchdog);
        } catch (IOException | Refusal | RuntimeException e) {
            // The connection closes anyway, whatever stopped the reading.
            LOG.debug("stopped reading a refused request's body: {}", e.toString());
        }
    }

    private static Refusal tooLarge(int maxBytes) {
        return new Refusal(413, "invalid_request_error",
                "request body is larger than " + maxBytes + " bytes");
    }
}
