package dev.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Secret;
import dev.sluice.observe.Redaction;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.Test;

/** Jetty's own error answers: Sluice's JSON shape, and no key in them whatever it looks like. */
class JsonErrorHandlerTest {

    private static final String KEY = "d41d8cd98f00b204e9800998ecf8427e00c0ffee";

    @Test
    void aMessageQuotingAConfiguredKeyIsScrubbed() throws Exception {
        Redaction.learnEverywhere(List.of(new Secret(KEY)));
        HttpFields.Mutable fields = HttpFields.build();

        ByteBuffer body = new JsonErrorHandler().badMessageError(400,
                "upstream said " + KEY + " and sk-proj-Ab12Cd34Ef56Gh78", fields);

        String text = StandardCharsets.UTF_8.decode(body).toString();
        assertFalse(text.contains(KEY), text);
        assertFalse(text.contains("Ab12Cd34"), text);
        JsonNode error = new ObjectMapper().readTree(text).path("error");
        assertTrue(error.path("message").asText().startsWith("Bad Request: upstream said "
                + "[redacted "), text);
        assertEquals("application/json", fields.get("Content-Type"));
    }
}
