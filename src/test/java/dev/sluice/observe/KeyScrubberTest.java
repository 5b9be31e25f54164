package dev.sluice.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sluice.config.Secret;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The keys are found in an event's bytes wherever they are, and only the keys. */
class KeyScrubberTest {

    private static final String KEY = "sk-proj-Tn4mQ8wE2rY6uI0oP3aS";
    private static final String OTHER = "9f2c4e6a8b0d1f3e5a7c9e1b";
    private static final KeyScrubber KEYS = new KeyScrubber(List.of(new Secret(KEY),
            new Secret(OTHER)));

    private static String scrubbed(KeyScrubber keys, String text) {
        byte[] bytes = ("::" + text).getBytes(StandardCharsets.UTF_8);
        byte[] scrubbed = keys.scrubbed(bytes, 2, bytes.length - 2);
        return scrubbed == null ? null : new String(scrubbed, StandardCharsets.UTF_8);
    }

    private static String mark(String key) {
        return Redaction.mark(key);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "s", "sk",
        "data: {\"content\":\"sk-proj-Tn4mQ8wE2rY6uI0oP3a\"}\n\n",
        "data: ask sk-proj- task 9f2c4e6a8b0d1f3e5a7c9e1\n\n", ": sk-proj-\n",
        "data: sk-proj-Tn4mQ8wE2rY6u\nevent: I0oP3aS\n\n", "data: s\nid: k-proj\n\n"})
    void bytesWithoutAWholeKeyAreLeftAndNotCopied(String text) {
        assertNull(scrubbed(KEYS, text));
    }

    @Test
    void everyKeyIsReplacedWhereverItIs() {
        assertEquals("event: " + mark(KEY) + "\nid: x" + mark(OTHER) + "y\ndata: " + mark(KEY)
                + mark(KEY) + "\n\n", scrubbed(KEYS, "event: " + KEY + "\nid: x" + OTHER
                        + "y\ndata: " + KEY + KEY + "\n\n"));
        assertEquals(": saw " + mark(OTHER) + "\n", scrubbed(KEYS, ": saw " + OTHER + "\n"));
        assertEquals(mark(KEY), scrubbed(KEYS, KEY));
    }

    @Test
    void aKeySplitAcrossDataLinesAnywhereIsReplacedWithTheLineBreak() {
        // Every second position is looked at: the key starts at both an even and an odd one.
        for (String lead : List.of("data: bad ", "data: bad: ")) {
            for (String join : List.of("\ndata: ", "\ndata:", "\ndata: \ndata: ")) {
                for (int at = 1; at < KEY.length(); at++) {
                    String split = KEY.substring(0, at) + join + KEY.substring(at);
                    assertEquals(lead + mark(KEY) + " key\n\n",
                            scrubbed(KEYS, lead + split + " key\n\n"), split);
                }
            }
        }
    }

    @Test
    void aKeyIsFoundAtEveryPositionOfAnEvent() {
        KeyScrubber two = new KeyScrubber(List.of(new Secret("q7"), new Secret(KEY)));
        for (int at = 0; at < 9; at++) {
            String lead = "data: xx".substring(0, at);
            assertEquals(lead + mark(KEY) + "\n", scrubbed(KEYS, lead + KEY + "\n"), lead);
            assertEquals(lead + mark("q7") + mark(KEY), scrubbed(two, lead + "q7" + KEY), lead);
        }
    }

    @Test
    void aKeySplitByAnotherFieldOrOverMoreThanFiveLinesIsNotTakenForOne() {
        assertNull(scrubbed(KEYS, "data: " + KEY.substring(0, 9) + "\nevent: "
                + KEY.substring(9) + "\n\n"));
        String fiveSplits = String.join("\ndata: ", KEY.substring(0, 4), KEY.substring(4, 8),
                KEY.substring(8, 12), KEY.substring(12, 16), KEY.substring(16, 20),
                KEY.substring(20));
        assertNull(scrubbed(KEYS, "data: " + fiveSplits + "\n\n"));
    }

    @Test
    void aKeyInsideALongerOneLeavesNothingOfTheLongerOne() {
        String inner = KEY.substring(3, 20);
        KeyScrubber keys = new KeyScrubber(List.of(new Secret(inner), new Secret(KEY)));

        assertEquals("data: " + mark(KEY) + " and " + mark(inner) + "\n\n",
                scrubbed(keys, "data: " + KEY + " and " + inner + "\n\n"));
    }

    @Test
    void aKeyTheBytesCutShortIsFoundOnlyWhenMoreMayFollow() {
        byte[] cut = ("data: x " + KEY.substring(0, 12)).getBytes(StandardCharsets.UTF_8);
        byte[] split = ("data: x " + KEY.substring(0, 12) + "\nda")
                .getBytes(StandardCharsets.UTF_8);

        assertEquals(8, KEYS.find(cut, 0, cut.length, false));
        assertEquals(-1, KEYS.find(cut, 0, cut.length, true));
        assertEquals(8, KEYS.find(split, 0, split.length, false));
        assertEquals(KeyScrubber.CUT, KEYS.match(cut, 8, cut.length, false));
        assertEquals(KeyScrubber.NONE, KEYS.match(cut, 8, cut.length, true));
    }

    @Test
    void withoutKeysNothingIsLookedFor() {
        KeyScrubber none = new KeyScrubber(List.of());

        assertNull(scrubbed(none, "data: " + KEY + "\n\n"));
        assertEquals("a " + KEY, none.scrubbed("a " + KEY));
    }

    @Test
    void decodedTextLosesTheKeysAndOnlyThem() {
        String text = "sk-abc123456 " + KEY + " " + OTHER;

        assertEquals("sk-abc123456 " + mark(KEY) + " " + mark(OTHER), KEYS.scrubbed(text));
        String plain = "nothing here";
        assertEquals(plain, KEYS.scrubbed(plain));
    }
}
