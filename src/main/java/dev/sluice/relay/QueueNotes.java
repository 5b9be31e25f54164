package dev.sluice.relay;

import dev.sluice.sse.SseWriter;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * What a streaming client hears while its request waits in the route's queue: nothing until
 * the first heartbeat is due, then the response begins as an event stream with a
 * {@code : queued, position N} comment, and another each heartbeat, which SDKs and EventSource
 * ignore as they ignore heartbeats. The request's own thread writes them, before any stream.
 */
final class QueueNotes {

    private final HttpServletResponse response;

    QueueNotes(HttpServletResponse response) {
        this.response = response;
    }

    /** @return false when the client has left */
    boolean say(int position) {
        try {
            if (!response.isCommitted()) {
                RelayServlet.beginStream(response, false);
            }
            SseWriter writer = new SseWriter(response.getOutputStream());
            writer.comment("queued, position " + position);
            writer.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
