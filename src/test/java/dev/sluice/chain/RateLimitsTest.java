package dev.sluice.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How long a key rests, read from the headers OpenAI and Anthropic send with their answers. */
class RateLimitsTest {

    private static HttpHeaders headers(String... pairs) {
        Map<String, List<String>> map = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], List.of(pairs[i + 1]));
        }
        return HttpHeaders.of(map, (name, value) -> true);
    }

    @Test
    void retryAfterMillisComesFirst() {
        assertEquals(Duration.ofMillis(1500), RateLimits.afterThrottle(headers(
                "retry-after-ms", "1500", "retry-after", "9")));
        assertEquals(Duration.ofSeconds(9), RateLimits.afterThrottle(headers("retry-after", "9")));
    }

    @Test
    void openAiResetsAreGoDurations() {
        assertEquals(Duration.ofMinutes(6), RateLimits.spent(headers(
                "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "6m0s")));
        assertEquals(Duration.ofMillis(20), RateLimits.spent(headers(
                "x-ratelimit-remaining-tokens", "0", "x-ratelimit-reset-tokens", "20ms")));
        assertEquals(Duration.ofMillis(3_323_500), RateLimits.spent(headers(
                "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests",
                "55m23.5s")));
    }

    @Test
    void aRestIsNeverLongerThanAnHour() {
        assertEquals(RateLimits.LONGEST, RateLimits.spent(headers(
                "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "17h0m0s")));
        assertEquals(RateLimits.LONGEST, RateLimits.afterThrottle(headers(
                "retry-after", "86400")));
    }

    @Test
    void anthropicResetsAreTimes() {
        String in30s = OffsetDateTime.now(ZoneOffset.UTC).plusSeconds(30).toString();
        Duration rest = RateLimits.spent(headers(
                "anthropic-ratelimit-output-tokens-remaining", "0",
                "anthropic-ratelimit-output-tokens-reset", in30s));
        assertTrue(rest.compareTo(Duration.ofSeconds(25)) > 0
                && rest.compareTo(Duration.ofSeconds(30)) <= 0, rest::toString);
    }

    @Test
    void theLongestSpentLimitDecides() {
        assertEquals(Duration.ofSeconds(40), RateLimits.afterThrottle(headers(
                "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "10s",
                "x-ratelimit-remaining-tokens", "0", "x-ratelimit-reset-tokens", "40s")));
    }

    @Test
    void limitsWithRoomLeftOrUnreadableRestNothing() {
        assertNull(RateLimits.spent(headers(
                "x-ratelimit-remaining-requests", "3", "x-ratelimit-reset-requests", "6m0s")));
        assertNull(RateLimits.spent(headers(
                "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "soon")));
        assertNull(RateLimits.afterThrottle(headers("retry-after", "later")));
        assertNull(RateLimits.afterThrottle(headers()));
    }
}
