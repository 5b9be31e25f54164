package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** An operation's path matches a request's path exactly, a placeholder one plain segment. */
class OperationTest {

    @ParameterizedTest(name = "{0} ~ {1}: {2}")
    @CsvSource(delimiter = '|', value = {
        "/chat/completions    | /chat/completions      | true",
        "/chat/completions    | /chat/completions/     | false",
        "/chat/completions    | //chat/completions     | false",
        "/chat/completions    | /chat//completions     | false",
        "/chat/completions    | /Chat/completions      | false",
        "/chat/completions    | /chat/completions/x    | false",
        "/chat/completions    | /chat                  | false",
        "/chat/completions    | chat/completions       | false",
        "/chat/completions    | /chat%2Fcompletions    | false",
        "/chat/completions    | /chat/completions;x=1  | false",
        "/responses/{id}      | /responses/resp_1      | true",
        "/responses/{id}      | /responses/            | false",
        "/responses/{id}      | /responses             | false",
        "/responses/{id}      | /responses/a/b         | false",
        "/responses/{id}      | /responses/..          | false",
        "/responses/{id}      | /responses/.           | false",
        "/responses/{id}      | /responses/%2e%2e      | false",
        "/responses/{id}      | /responses/a;b         | false",
        "/responses/{id}      | /responses/a%2Fb       | false",
        "/responses/*/cancel  | /responses/r-1/cancel  | true",
        "/responses/*/cancel  | /responses/r-1/CANCEL  | false",
        "/responses/*/cancel  | /responses//cancel     | false",
    })
    void matchesOnlyThePathItDescribes(String pattern, String path, boolean matches) {
        assertEquals(matches, new Operation("GET", pattern).matches(path));
    }
}
