package dev.sluice.server;

import dev.sluice.dialect.OpenAiChat;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;

/** Jetty's graceful handler, refusing requests during shutdown with a JSON 503 clients can read. */
final class JsonGracefulHandler extends GracefulHandler {

    private final byte[] body = new OpenAiChat().errorBody(503,
            "Sluice is shutting down; retry the request", "server_shutting_down");

    JsonGracefulHandler(Handler handler) {
        super(handler);
    }

    @Override
    protected void handleShutdownRejection(Request request, Response response, Callback callback) {
        response.setStatus(503);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
