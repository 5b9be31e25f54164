package dev.sluice.relay;

import dev.sluice.dialect.OpenAiDialect;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** Answers API paths Sluice does not relay with a JSON 404 that says what it does relay. */
final class UnknownPathServlet extends HttpServlet {

    private final OpenAiDialect dialect = new OpenAiDialect();

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        new Refusal(404, "not_found", "Sluice does not relay " + request.getRequestURI()
                + "; it relays POST " + request.getContextPath() + Endpoints.CHAT_PATH)
                .send(response, dialect);
    }
}
