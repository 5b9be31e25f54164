package dev.sluice.sse;

import java.util.Objects;

/** A comment line ({@code : text}); browsers ignore it, proxies see it as traffic. */
public record SseComment(String text) implements SseItem {
    public SseComment {
        Objects.requireNonNull(text, "text");
    }
}
