package dev.sluice.simulated;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.dialect.Json;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseWriter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

/**
 * A stand-in for a provider, used by a route with no key and no URL of its own: it answers
 * OpenAI's {@code POST /chat/completions} and {@code POST /responses} and Anthropic's
 * {@code POST /messages} in their exact formats, streamed token by token at a steady pace, so
 * the relay, the SDKs and the demo page work on a machine with no key and no network.
 */
public final class SimulatedUpstreamServlet extends HttpServlet {

    /** The model name the simulated upstream reports when the request names none. */
    public static final String MODEL = "sluice-simulated";

    private static final String CHAT = "/chat/completions";
    private static final String MESSAGES = "/messages";
    private static final String RESPONSES = "/responses";
    private static final ObjectMapper JSON = Json.mapper();
    private final Duration tokenDelay;

    public SimulatedUpstreamServlet(Duration tokenDelay) {
        this.tokenDelay = tokenDelay;
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        String path = request.getPathInfo();
        boolean anthropic = anthropic(request);
        if (!CHAT.equals(path) && !RESPONSES.equals(path) && !MESSAGES.equals(path)) {
            refuse(response, anthropic, 404, "the simulated upstream answers only " + CHAT
                    + " and " + RESPONSES + " (OpenAI) and " + MESSAGES
                    + " (Anthropic), with POST");
            return;
        }
        JsonNode body;
        try {
            body = JSON.readTree(request.getInputStream());
        } catch (JacksonException e) {
            body = null;
        }
        String invalid = anthropic ? SimulatedMessage.invalid(body)
                : RESPONSES.equals(path) ? SimulatedResponse.invalid(body)
                : SimulatedCompletion.invalid(body);
        if (invalid != null) {
            refuse(response, anthropic, 400, invalid);
            return;
        }
        SimulatedAnswer answer = anthropic ? SimulatedMessage.of(body)
                : RESPONSES.equals(path) ? SimulatedResponse.of(body)
                : SimulatedCompletion.of(body);
        String id = "req_simulated_" + UUID.randomUUID().toString().replace("-", "");
        response.setHeader(anthropic ? "request-id" : "X-Request-Id", id);
        if (body.path("stream").asBoolean(false)) {
            try {
                stream(response, answer);
            } catch (IOException e) {
                // The relay went away (its client left): stop generating, as a provider would.
            }
        } else {
            response.setContentType("application/json");
            response.getOutputStream().write(answer.whole().toString().getBytes(
                    StandardCharsets.UTF_8));
        }
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        refuse(response, anthropic(request), 404, "the simulated upstream answers only POST "
                + CHAT + ", POST " + RESPONSES + " and POST " + MESSAGES);
    }

    /** Anthropic's path, or another than OpenAI's that names an Anthropic API version. */
    private static boolean anthropic(HttpServletRequest request) {
        String path = request.getPathInfo();
        return MESSAGES.equals(path) || !CHAT.equals(path) && !RESPONSES.equals(path)
                && request.getHeader("anthropic-version") != null;
    }

    private static void refuse(HttpServletResponse response, boolean anthropic, int status,
            String message) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.getWriter().write((anthropic ? SimulatedMessage.error(status, message)
                : SimulatedCompletion.error(message)).toString());
    }

    private void stream(HttpServletResponse response, SimulatedAnswer answer)
            throws IOException {
        response.setContentType("text/event-stream; charset=utf-8");
        response.setHeader("Cache-Control", "no-cache");
        SseWriter out = new SseWriter(response.getOutputStream());
        for (SseEvent event : answer.opening()) {
            send(out, event);
        }
        for (String token : answer.tokens()) {
            if (!pause()) {
                return;
            }
            send(out, answer.token(token));
        }
        for (SseEvent event : answer.closing()) {
            send(out, event);
        }
    }

    private static void send(SseWriter out, SseEvent event) throws IOException {
        out.event(event);
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
}
