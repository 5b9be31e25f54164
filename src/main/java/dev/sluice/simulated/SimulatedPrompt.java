package dev.sluice.simulated;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the simulated upstream takes from a request: the last user message, which picks the
 * reply, and a count of prompt tokens for the usage report.
 */
record SimulatedPrompt(String question, int tokens) {

    /** From {@code messages} (OpenAI and Anthropic alike) and Anthropic's {@code system}. */
    static SimulatedPrompt of(JsonNode body) {
        String last = "";
        int chars = text(body.path("system")).length();
        for (JsonNode message : body.path("messages")) {
            String text = text(message.path("content"));
            chars += text.length();
            if ("user".equals(message.path("role").asText())) {
                last = text;
            }
        }
        // About four characters a token, as the providers' tokenizers average for English.
        return new SimulatedPrompt(last, Math.max(1, chars / 4));
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
}
