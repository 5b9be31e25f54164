package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Policy;
import dev.sluice.config.Route;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.TestConfig;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A route's query parameters are the only ones of their name upstream, however the client spells
 * the name: encoded, in another case, with punctuation or brackets a server would ignore.
 */
class RouteQueryTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final Relay relay = new Relay();

    @BeforeEach
    void start() throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> exchange.respond(200,
                "application/json", "{\"status\":\"finish\"}"));
        relay.start(TestConfig.relayingTo(upstream.baseUrl(), null)
                .route(new Route("customgpt", "/customgpt", upstream.baseUrl(), "customgpt", null,
                        new Policy(Set.of(), null, Map.of(), Map.of(),
                                Map.of("lang", "nl", "stream", "true"), Map.of())))
                .build());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "lang=en", "l%61ng=en", "%6C%61%6E%67=en", "LANG=en", "Lang=en", "lAnG=en",
        "lang%5B%5D=en", "lang%5Bx%5D=en", "lang+=en", "lang%20=en", "+lang=en", "%20lang=en",
        "la.ng=en", "la_ng=en", "la-ng=en", "lang%00=en", "lang%09=en", "lang", "lang=",
        "lang=en&lang=fr", "%EF%BD%8C%EF%BD%81%EF%BD%8E%EF%BD%87=en", "l%C3%A1ng=en",
        "stream=false", "STREAM=false", "%C5%BFtream=false", "st%72eam=false", "stre%41m=false",
        "s%E2%80%8Bt%E2%80%8Bream=false",
    })
    void theRoutesValueIsTheOnlyOneWhateverTheClientEncodes(String trick) throws Exception {
        String answer = post("/customgpt/conversations/7/messages?" + trick + "&page=2");
        assertEquals("200", answer.substring(9, 12), answer);
        String path = relay.upstream().takeRequest().path();
        String query = path.substring(path.indexOf('?') + 1);
        assertEquals(new TreeSet<>(Set.of("page=2", "lang=nl", "stream=true")),
                new TreeSet<>(Arrays.asList(query.split("&"))), path);
    }

    @ParameterizedTest
    @ValueSource(strings = {"l%6=en", "lang%=en", "%zzlang=en"})
    void aNameThatIsNotValidPercentEncodingIsRefused(String trick) throws Exception {
        String answer = post("/customgpt/conversations/7/messages?" + trick);
        assertEquals("400", answer.substring(9, 12), answer);
        assertEquals("query parameter '" + trick.split("=")[0] + "' is not valid "
                + "percent-encoding", JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n")))
                        .path("data").path("message").asText());
    }

    /** Sends the target as written: an HTTP client would re-encode the query. */
    private String post(String target) throws Exception {
        URI base = URI.create(relay.sluiceUrl());
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            String body = "{\"prompt\":\"hi\"}";
            socket.getOutputStream().write(("POST " + target + " HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length()
                    + "\r\nConnection: close\r\n\r\n" + body)
                    .getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
