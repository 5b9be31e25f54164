package dev.sluice.server;

import dev.sluice.dialect.OpenAiChat;
import dev.sluice.observe.Redaction;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors that Jetty answers itself (a header too large, a malformed request line, a path no
 * servlet serves, an exception no servlet caught) in the same JSON shape as Sluice's own, never
 * an HTML page, and scrubbed of keys: an exception's text may quote what an upstream sent.
 */
final class JsonErrorHandler extends ErrorHandler {

    private final OpenAiChat shape = new OpenAiChat();

    @Override
    protected void generateResponse(Request request, Response response, int code, String message,
            Throwable cause, Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(body(code, message)), callback);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(new HttpField(HttpHeader.CONTENT_TYPE, "application/json"));
        return ByteBuffer.wrap(body(status, reason));
    }

    private byte[] body(int code, String message) {
        String reason = HttpStatus.getMessage(code);
        String text = message == null || message.isBlank() ? reason
                : reason + ": " + Redaction.everywhere().scrub(message);
        return shape.errorBody(code, text, code >= 500 ? "server_error" : "invalid_request_error");
    }
}
