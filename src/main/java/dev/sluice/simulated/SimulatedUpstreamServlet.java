package dev.sluice.simulated;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.dialect.Json;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseWriter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * A stand-in for an OpenAI-compatible provider, used when no provider is configured: it answers
 * chat completions in OpenAI's exact format, streamed token by token at a steady pace, so the
 * relay and the demo page work on a machine with no key and no network.
 */
public final class SimulatedUpstreamServlet extends HttpServlet {

    /** The model name the simulated upstream reports when the request names none. */
    public static final String MODEL = "sluice-simulated";

    private static final ObjectMapper JSON = Json.mapper();
    private final Duration tokenDelay;

    public SimulatedUpstreamServlet(Duration tokenDelay) {
        this.tokenDelay = tokenDelay;
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        if (!"/chat/completions".equals(request.getPathInfo())) {
            refuse(response, 404, "the simulated upstream answers only /chat/completions");
            return;
        }
        JsonNode body;
        try {
            body = JSON.readTree(request.getInputStream());
        } catch (JacksonException e) {
            body = null;
        }
        if (body == null || !body.path("messages").isArray()) {
            refuse(response, 400, "'messages' must be an array of chat messages");
            return;
        }
        Completion completion = new Completion(
                "chatcmpl-" + UUID.randomUUID().toString().replace("-", ""),
                System.currentTimeMillis() / 1000,
                body.path("model").asText(MODEL),
                SimulatedReply.to(lastUserMessage(body)),
                promptTokens(body));
        if (body.path("stream").asBoolean(false)) {
            try {
                stream(response, completion, body.path("stream_options").path("include_usage")
                        .asBoolean(false));
            } catch (IOException e) {
                // The relay went away (its client left): stop generating, as a provider would.
            }
        } else {
            response.setContentType("application/json");
            response.getOutputStream().write(completion.whole().toString().getBytes(
                    StandardCharsets.UTF_8));
        }
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        refuse(response, 404, "the simulated upstream answers only POST /chat/completions");
    }

    private void refuse(HttpServletResponse response, int status, String message)
            throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.getWriter().write(JSON.createObjectNode().set("error", JSON.createObjectNode()
                .put("message", message)
                .put("type", "invalid_request_error")
                .putNull("param").putNull("code")).toString());
    }

    private void stream(HttpServletResponse response, Completion completion, boolean usage)
            throws IOException {
        response.setContentType("text/event-stream; charset=utf-8");
        response.setHeader("Cache-Control", "no-cache");
        response.setHeader("X-Request-Id", completion.id());
        SseWriter out = new SseWriter(response.getOutputStream());
        List<String> tokens = completion.reply().tokens();
        ObjectNode role = delta().put("role", "assistant").put("content", "");
        send(out, completion.chunk(role, null, usage));
        for (String token : tokens) {
            if (!pause()) {
                return;
            }
            send(out, completion.chunk(delta().put("content", token), null, usage));
        }
        send(out, completion.chunk(delta(), "stop", usage));
        if (usage) {
            ObjectNode last = completion.chunk(null, null, false);
            last.set("usage", completion.usage());
            send(out, last);
        }
        out.event(SseEvent.of("[DONE]"));
        out.flush();
    }

    private static void send(SseWriter out, ObjectNode chunk) throws IOException {
        out.event(SseEvent.of(chunk.toString()));
        out.flush();
    }

    private boolean pause() {
        try {
            Thread.sleep(tokenDelay);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private ObjectNode delta() {
        return JSON.createObjectNode();
    }

    private static String lastUserMessage(JsonNode body) {
        String last = "";
        for (JsonNode message : body.path("messages")) {
            if ("user".equals(message.path("role").asText())) {
                last = text(message.path("content"));
            }
        }
        return last;
    }

    /** A message's text, whether its content is a string or an array of content parts. */
    private static String text(JsonNode content) {
        if (content.isTextual()) {
            return content.textValue();
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            text.append(part.path("text").asText(""));
        }
        return text.toString();
    }

    /** About four characters a token, as OpenAI's tokenizers average for English. */
    private static int promptTokens(JsonNode body) {
        int chars = 0;
        for (JsonNode message : body.path("messages")) {
            chars += text(message.path("content")).length();
        }
        return Math.max(1, chars / 4);
    }

    /** One answer in OpenAI's shapes: stream chunks and the whole completion. */
    private record Completion(String id, long created, String model, SimulatedReply reply,
            int promptTokens) {

        ObjectNode chunk(ObjectNode delta, String finishReason, boolean usage) {
            ObjectNode chunk = head("chat.completion.chunk");
            ArrayNode choices = chunk.putArray("choices");
            if (delta != null) {
                ObjectNode choice = choices.addObject().put("index", 0);
                choice.set("delta", delta);
                choice.putNull("logprobs");
                choice.put("finish_reason", finishReason);
            }
            if (usage) {
                chunk.putNull("usage"); // as OpenAI does on every chunk before the usage chunk
            }
            return chunk;
        }

        ObjectNode whole() {
            ObjectNode completion = head("chat.completion");
            ObjectNode choice = completion.putArray("choices").addObject().put("index", 0);
            choice.putObject("message")
                    .put("role", "assistant")
                    .put("content", reply.text())
                    .putNull("refusal");
            choice.putNull("logprobs");
            choice.put("finish_reason", "stop");
            completion.set("usage", usage());
            return completion;
        }

        ObjectNode usage() {
            int completionTokens = reply.tokens().size();
            return JSON.createObjectNode()
                    .put("prompt_tokens", promptTokens)
                    .put("completion_tokens", completionTokens)
                    .put("total_tokens", promptTokens + completionTokens);
        }

        private ObjectNode head(String object) {
            return JSON.createObjectNode()
                    .put("id", id)
                    .put("object", object)
                    .put("created", created)
                    .put("model", model)
                    .put("system_fingerprint", "fp_sluice_simulated");
        }
    }
}
