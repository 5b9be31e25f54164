package dev.sluice.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.Secret;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Scrubbing credentials from upstream text: the configured key wherever it appears, anything
 * key-shaped, and nothing else.
 */
class RedactionTest {

    private static final String OPENAI_401 = "Incorrect API key provided: sk-proj-abc*****wxyz."
            + " You can find your API key at https://platform.openai.com/account/api-keys.";

    private final Redaction withoutKey = new Redaction(java.util.List.of());

    @Test
    void configuredKeyIsRemovedEvenWhenNotKeyShaped() {
        Redaction redaction = new Redaction(new Secret("local-key-123"));

        assertEquals("upstream rejected [redacted] (twice: x[redacted]y)",
                shown(redaction.scrub("upstream rejected local-key-123 (twice: xlocal-key-123y)")));
    }

    @Test
    void configuredKeyIsMatchedLiterallyNotAsPattern() {
        Redaction redaction = new Redaction(new Secret("k.y$1\\Q*"));

        assertEquals("bad key [redacted]; kxy$1\\Q* kept",
                shown(redaction.scrub("bad key k.y$1\\Q*; kxy$1\\Q* kept")));
    }

    @Test
    void openAiIncorrectKeyMessageKeepsItsSenseButLosesTheKeyFragment() {
        String scrubbed = shown(withoutKey.scrub(OPENAI_401));

        assertTrue(scrubbed.startsWith("Incorrect API key provided: [redacted]"), scrubbed);
        assertTrue(scrubbed.endsWith(" You can find your API key at"
                + " https://platform.openai.com/account/api-keys."), scrubbed);
        assertFalse(scrubbed.contains("abc"), scrubbed);
        assertFalse(scrubbed.contains("wxyz"), scrubbed);
        assertFalse(scrubbed.contains("sk-"), scrubbed);
    }

    @Test
    void openAiIncorrectKeyMessageKeepsItsFullStop() {
        assertEquals("Incorrect API key provided: [redacted]. You can find your API key at"
                + " https://platform.openai.com/account/api-keys.",
                shown(withoutKey.scrub(OPENAI_401)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "sk-abcdefghijklmnop                     | [redacted]",
        "key sk-proj-AbC_dEf-123456xyz rejected  | key [redacted] rejected",
        "invalid x-api-key sk-ant-api03-AbC_dEf-123456 | invalid x-api-key [redacted]",
        "SK-ANT-API03-ABCDEFGH                   | [redacted]",
        "restricted rk-live-abcdef1234           | restricted [redacted]",
    })
    void keyShapedTokensAreRemoved(String text, String expected) {
        assertEquals(expected, shown(withoutKey.scrub(text)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "Authorization: Bearer xyz                | Authorization: [redacted]",
        "Authorization: Bearer abc.def-ghi, retry | Authorization: [redacted], retry",
        "header 'bearer   xyz' refused            | header '[redacted]' refused",
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln | [redacted]",
        "Authorization: Bearer dGVzdDp0ZXN0== sent | Authorization: [redacted] sent",
        "bearer sk-abc (rejected)                 | [redacted] (rejected)",
    })
    void bearerTokensAreRemoved(String text, String expected) {
        assertEquals(expected, shown(withoutKey.scrub(text)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "url ?api_key=abc123&model=x          | url ?api_key=[redacted]&model=x",
        "api-key: abc123                      | api-key: [redacted]",
        "APIKEY=abc123                        | APIKEY=[redacted]",
        "{\"token\": \"abc123\", \"n\": 1}    | {\"token\": \"[redacted]\", \"n\": 1}",
        "{'token':'abc123'}                   | {'token':'[redacted]'}",
        "password=hunter2; user=bob           | password=[redacted]; user=bob",
        "client_secret = abc123               | client_secret = [redacted]",
    })
    void namedCredentialsLoseTheirValueButKeepTheirName(String text, String expected) {
        assertEquals(expected, shown(withoutKey.scrub(text)));
    }

    @Test
    void dollarsAndBackslashesAroundRedactionsSurvive() {
        Redaction redaction = new Redaction(new Secret("local-key-123"));
        String text = "cost $1 or $0 or ${x} at C:\\temp\\n \\$2 password=p$w\\d local-key-123 $";

        assertEquals("cost $1 or $0 or ${x} at C:\\temp\\n \\$2 password=[redacted] [redacted] $",
                shown(redaction.scrub(text)));
    }

    @Test
    void nullStaysNull() {
        assertNull(shown(withoutKey.scrub(null)));
        assertNull(shown(new Redaction(new Secret("local-key-123")).scrub(null)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "skip",
        "task-force",
        "tokens used: 42",
        "risk-assessment and desk-lamp12",
        "The tokenizer: cl100k_base",
        "max_tokens is too large: 9000. This model supports at most 4096 completion tokens",
        "Rate limit reached for gpt-4o-mini on tokens per min (TPM): Limit 200000, Used 199000",
        "See https://platform.openai.com/account/api-keys for details.",
        "",
        "data: {\"choices\":[{\"delta\":{\"content\":\"$5 \\\\o/\"}}]}",
    })
    void ordinaryTextIsUnchanged(String text) {
        assertEquals(text, shown(withoutKey.scrub(text)));
        assertEquals(text, shown(new Redaction(new Secret("local-key-123")).scrub(text)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "send a token as 'Authorization: Bearer <token>' (or 'x-api-key: <token>')",
        "the bearer token is not a valid JWT",
        "a 401 names a scheme: WWW-Authenticate: Bearer",
        "Bearer authentication failed; Bearer Token required",
        "curl -H \"Authorization: Bearer $OPENAI_API_KEY\"",
    })
    void sluicesOwnTextsAboutBearerTokensAreUnchanged(String text) {
        assertEquals(text, withoutKey.scrub(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SK-Telecom results",
        "violates pk-constraint",
        "rk-assessment",
        "secret: not set",
        "password: required",
    })
    void ordinaryTextThatCurrentPatternsMistakeForCredentials(String text) {
        assertEquals(text, shown(withoutKey.scrub(text)));
    }

    @Test
    void aMarkIsAShortHashThatTellsTwoSecretsApart() {
        String scrubbed = withoutKey.scrub("sk-first1234567 and sk-second123456 and sk-first1234567");
        String[] marks = scrubbed.split(" and ");
        assertTrue(marks[0].matches("\\[redacted [0-9a-f]{8}]"), scrubbed);
        assertEquals(marks[0], marks[2]);
        assertFalse(marks[0].equals(marks[1]));
    }

    @Test
    void theQuickLookNeverMissesWhatThePatternTakes() {
        String[] parts = {"sk", "SK", "rk", "Pk", "-", "_", "bearer", "BeArEr", " ", "\t", "\n",
            "\u000b", "=", ":", "\"", "'", "token", "TOKEN", "secret", "password", "api", "key",
            "Key", "abc123", "0", "x", "*", "\u017f", "\u212a", "\u00e9", "/", ".", "scheme"};
        java.util.Random random = new java.util.Random(16);
        int matched = 0;
        for (int n = 0; n < 300_000; n++) {
            StringBuilder text = new StringBuilder();
            for (int k = random.nextInt(12); k >= 0; k--) {
                text.append(parts[random.nextInt(parts.length)]);
            }
            String s = text.toString();
            if (Redaction.KEY_LIKE.matcher(s).find()) {
                matched++;
                assertTrue(Redaction.mayLookLikeKey(s), s);
            }
        }
        assertTrue(matched > 1_000, "too few texts with a key-like part to prove much: " + matched);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"request_id\":\"5f1c2a\",\"route\":\"openai\",\"model\":\"gpt-4o-mini\","
            + "\"status\":200,\"outcome\":\"done\",\"ttfb_ms\":3,\"prompt_tokens\":12,"
            + "\"completion_tokens\":40,\"key\":\"sha256:1a2b3c4d\"}",
        "Sluice 0.1.0 listening on http://127.0.0.1:8080 (simulated upstream for 3 routes)",
        "openai 429 refused: too many open streams for client 'web': 2 of 2",
    })
    void sluicesOwnLogLinesSkipThePattern(String line) {
        assertFalse(Redaction.mayLookLikeKey(line), line);
    }

    /** The scrubbed text with each mark's hash dropped: the tests check where marks go. */
    private static String shown(String scrubbed) {
        return scrubbed == null ? null : scrubbed.replaceAll("\\[redacted [0-9a-f]{8}]", "[redacted]");
    }
}
