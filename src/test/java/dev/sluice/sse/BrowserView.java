package dev.sluice.sse;

import java.util.ArrayList;
import java.util.List;

/**
 * What a browser's {@code EventSource} reports for the items a reader returned (WHATWG HTML
 * 9.2.6): the reader gives each block's own id and retry, while the last event ID string is the
 * browser's state, updated at every dispatched block (with or without data) and kept across them.
 */
record BrowserView(List<Event> events, List<Long> retry, List<String> comments) {

    /** A dispatched {@code MessageEvent}: its type, data and the last event ID at dispatch. */
    record Event(String type, String data, String lastEventId) {}

    static BrowserView of(List<SseItem> items) {
        List<Event> events = new ArrayList<>();
        List<Long> retry = new ArrayList<>();
        List<String> comments = new ArrayList<>();
        String lastEventId = "";
        for (SseItem item : items) {
            switch (item) {
                case SseComment comment -> comments.add(comment.text());
                case SseEvent event -> {
                    if (event.retry() != null) {
                        retry.add(event.retry());
                    }
                    if (event.id() != null) {
                        lastEventId = event.id();
                    }
                    if (event.data() != null) {
                        String type = event.type() == null ? "message" : event.type();
                        events.add(new Event(type, event.data(), lastEventId));
                    }
                }
            }
        }
        return new BrowserView(List.copyOf(events), List.copyOf(retry), List.copyOf(comments));
    }
}
