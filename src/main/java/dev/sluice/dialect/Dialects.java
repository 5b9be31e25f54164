package dev.sluice.dialect;

import java.util.Map;

/** The dialects by the names routes use for them. */
public final class Dialects {

    private static final Map<String, Dialect> BY_NAME = Map.of(
            "openai-chat", new OpenAiChat(),
            "openai-responses", new OpenAiResponses(),
            "anthropic-messages", new AnthropicMessages(),
            "customgpt", new CustomGpt(),
            "sse", new PlainSse());

    private Dialects() {}

    /** The dialect of that name; route configuration has already checked that it exists. */
    public static Dialect of(String name) {
        Dialect dialect = BY_NAME.get(name);
        if (dialect == null) {
            throw new IllegalArgumentException("no dialect " + name);
        }
        return dialect;
    }
}
