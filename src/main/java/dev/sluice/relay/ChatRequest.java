package dev.sluice.relay;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;

/**
 * A client's chat request: the body exactly as sent, which is forwarded unchanged, and whether it
 * asks for a stream.
 */
record ChatRequest(byte[] body, boolean stream) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static ChatRequest read(HttpServletRequest request, int maxBytes) throws Refusal, IOException {
        long declared = request.getContentLengthLong();
        if (declared > maxBytes) {
            throw tooLarge(maxBytes);
        }
        byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes(maxBytes + 1);
        }
        if (body.length > maxBytes) {
            throw tooLarge(maxBytes);
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JacksonException e) {
            throw new Refusal(400, "invalid_request_error",
                    "request body is not valid JSON: " + e.getOriginalMessage()
                            + " at line " + e.getLocation().getLineNr()
                            + ", column " + e.getLocation().getColumnNr());
        }
        if (root == null || !root.isObject()) {
            throw new Refusal(400, "invalid_request_error", "request body must be a JSON object");
        }
        JsonNode stream = root.path("stream");
        if (!stream.isMissingNode() && !stream.isNull() && !stream.isBoolean()) {
            throw new Refusal(400, "invalid_request_error", "'stream' must be true or false");
        }
        return new ChatRequest(body, stream.asBoolean(false));
    }

    private static Refusal tooLarge(int maxBytes) {
        return new Refusal(413, "invalid_request_error",
                "request body is larger than " + maxBytes + " bytes");
    }
}
