package dev.sluice.chain;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a provider's answer says of its key's rate limits: how long to wait after a 429
 * ({@code retry-after-ms}, {@code Retry-After}, then the reset of a limit it reports as spent),
 * and whether an answer that was served has spent a limit already, so the key can rest before
 * it is refused. OpenAI reports {@code x-ratelimit-remaining-requests} with
 * {@code x-ratelimit-reset-requests: 6m0s} (and the same for tokens); Anthropic
 * {@code anthropic-ratelimit-requests-remaining} with an RFC 3339 time in
 * {@code anthropic-ratelimit-requests-reset} (and for tokens, input and output tokens).
 */
final class RateLimits {

    /** The longest rest any header can give a key: a bad clock or header cannot retire it. */
    static final Duration LONGEST = Duration.ofHours(1);

    /** Each limit's remaining and reset headers, OpenAI's then Anthropic's. */
    private static final String[][] LIMITS = {
        {"x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"},
        {"x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"},
        {"anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset"},
        {"anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset"},
        {"anthropic-ratelimit-input-tokens-remaining", "anthropic-ratelimit-input-tokens-reset"},
        {"anthropic-ratelimit-output-tokens-remaining",
            "anthropic-ratelimit-output-tokens-reset"},
    };
    /** Go's duration format, as OpenAI writes resets: 1s, 20ms, 6m0s, 1h2m3.5s. */
    private static final Pattern GO_DURATION = Pattern.compile(
            "(?:([0-9]+)h)?(?:([0-9]+)m(?!s))?(?:([0-9]+(?:\\.[0-9]+)?)s)?"
                    + "(?:([0-9]+(?:\\.[0-9]+)?)ms)?");

    private RateLimits() {}

    /**
     * How long a key that was answered 429 should rest, or null when the answer does not say:
     * the provider's own wait first, else the longest reset of a limit it reports spent.
     */
    static Duration afterThrottle(HttpHeaders headers) {
        Duration asked = retryAfter(headers);
        return asked != null ? capped(asked) : spent(headers);
    }

    /**
     * How long a key whose answer was served should rest because the answer reports a limit at
     * zero (the next request would be refused), or null when every limit has room left.
     */
    static Duration spent(HttpHeaders headers) {
        Duration longest = null;
        for (String[] limit : LIMITS) {
            String remaining = headers.firstValue(limit[0]).orElse(null);
            if (remaining == null || !remaining.strip().equals("0")) {
                continue;
            }
            Duration reset = reset(headers.firstValue(limit[1]).orElse(null));
            if (reset != null && (longest == null || reset.compareTo(longest) > 0)) {
                longest = reset;
            }
        }
        return longest == null ? null : capped(longest);
    }

    /** {@code retry-after-ms} (OpenAI's), else {@code Retry-After} in seconds or as a date. */
    static Duration retryAfter(HttpHeaders headers) {
        try {
            String millis = headers.firstValue("retry-after-ms").orElse(null);
            if (millis != null) {
                return Duration.ofMillis(Math.max(0, (long) Double.parseDouble(millis.strip())));
            }
            String value = headers.firstValue("retry-after").orElse(null);
            if (value == null) {
                return null;
            }
            String v = value.strip();
            if (!v.isEmpty() && v.chars().allMatch(Character::isDigit)) {
                return Duration.ofSeconds(Long.parseLong(v));
            }
            ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
            return untilNow(Duration.between(ZonedDateTime.now(at.getZone()), at));
        } catch (NumberFormatException | DateTimeParseException e) {
            return null; // a value we cannot read is as good as none
        }
    }

    /** A reset as OpenAI (a Go duration) or Anthropic (an RFC 3339 time) writes it. */
    private static Duration reset(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.strip();
        Matcher go = GO_DURATION.matcher(v);
        if (go.matches()) {
            double seconds = number(go.group(1)) * 3600 + number(go.group(2)) * 60
                    + number(go.group(3)) + number(go.group(4)) / 1000;
            return Duration.ofMillis((long) Math.ceil(seconds * 1000));
        }
        try {
            OffsetDateTime at = OffsetDateTime.parse(v);
            return untilNow(Duration.between(OffsetDateTime.now(at.getOffset()), at));
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static double number(String digits) {
        return digits == null ? 0 : Double.parseDouble(digits);
    }

    private static Duration untilNow(Duration until) {
        return until.isNegative() ? Duration.ZERO : until;
    }

    private static Duration capped(Duration rest) {
        return rest.compareTo(LONGEST) > 0 ? LONGEST : rest;
    }
}
