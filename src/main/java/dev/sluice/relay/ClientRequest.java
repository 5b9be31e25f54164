package dev.sluice.relay;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.access.Refusal;
import dev.sluice.config.Policy;
import dev.sluice.dialect.Dialect;
import dev.sluice.dialect.Json;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
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

    /** Bounds on what a client's JSON may make the parser do, well within any real request. */
    private static final ObjectMapper JSON = new ObjectMapper(Json.factory()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(64).maxNumberLength(64).maxNameLength(1024).build())
            .build());
    private static final List<String> TOKEN_CAPS = List.of(
            "max_tokens", "max_completion_tokens", "max_output_tokens");
    /** Set once the body is being read: a client that expects 100-continue then sends it. */
    private static final String READING = ClientRequest.class.getName() + ".reading";
    /** A refused body is read and dropped up to this, or four times the limit if that is more. */
    private static final long DISCARD_BYTES = 16L << 20;
    private static final Logger LOG = LoggerFactory.getLogger(ClientRequest.class);

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
        boolean changed = apply(root, policy, dialect);
        JsonNode stream = root.path("stream");
        if (!stream.isMissingNode() && !stream.isNull() && !stream.isBoolean()) {
            throw new Refusal(400, "invalid_request_error", "'stream' must be true or false");
        }
        boolean usage = dialect.requestUsage(root);
        return new ClientRequest(changed || usage ? JSON.writeValueAsBytes(root) : body,
                stream.asBoolean(false), root.path("model").asText(null), usage);
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
        request.setAttribute(READING, Boolean.TRUE);
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes(maxBytes + 1);
        }
        if (body.length > maxBytes) {
            throw tooLarge(maxBytes);
        }
        return body;
    }

    private static ObjectNode parse(byte[] body) throws Refusal {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JacksonException e) {
            String where = e.getLocation() == null ? "" : " at line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new Refusal(400, "invalid_request_error",
                    "request body is not valid JSON: " + e.getOriginalMessage() + where);
        } catch (IOException e) {
            throw new Refusal(400, "invalid_request_error", "request body could not be read");
        }
        if (!(root instanceof ObjectNode object)) {
            throw new Refusal(400, "invalid_request_error", "request body must be a JSON object");
        }
        return object;
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
        String model = root.path("model").asText(null);
        if (!policy.models().isEmpty() && !policy.models().contains(model)) {
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

    /**
     * Sends a refusal so that its client can read it. A client that writes its whole body before
     * it reads (Python's urllib, SDKs on httpx or fetch) would find the connection reset under it
     * if Sluice closed it with the body unread, never see the answer, and retry. So the refusal
     * goes out with {@code Connection: close} and is flushed whole, and the rest of the body is
     * read and dropped, up to a bound, before the connection closes. Closing the output stream
     * instead would let Tomcat close the connection at once (its own 2 MiB swallow limit).
     */
    static void refuse(HttpServletRequest request, HttpServletResponse response,
            Refusal refusal, Dialect dialect, int maxBytes) throws IOException {
        boolean unread = bodyLeft(request);
        if (unread) {
            response.setHeader("Connection", "close");
        }
        refusal.send(response, dialect);
        long bound = Math.max(DISCARD_BYTES, 4L * maxBytes);
        if (unread && request.getContentLengthLong() <= bound) {
            response.flushBuffer();
            discard(request, bound);
        }
    }

    /** True when the client has body bytes still to send that nobody has read. */
    private static boolean bodyLeft(HttpServletRequest request) throws IOException {
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

    private static void discard(HttpServletRequest request, long atMost) {
        byte[] buffer = new byte[8192];
        try (InputStream in = request.getInputStream()) {
            long read = 0;
            for (int n = in.read(buffer); n >= 0 && read <= atMost; n = in.read(buffer)) {
                read += n;
            }
        } catch (IOException | RuntimeException e) {
            // Jetty's 408 for a body too slow is a RuntimeException; the connection closes anyway.
            LOG.debug("stopped reading a refused request's body: {}", e.toString());
        }
    }

    private static Refusal tooLarge(int maxBytes) {
        return new Refusal(413, "invalid_request_error",
                "request body is larger than " + maxBytes + " bytes");
    }
}
