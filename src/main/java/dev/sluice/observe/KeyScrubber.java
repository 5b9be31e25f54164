package dev.sluice.observe;

import dev.sluice.config.Secret;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Finds the configured keys in the bytes of events on their way to a client and replaces each
 * with the mark {@link Redaction} uses, also when one event splits a key over several data lines
 * (which a client joins); a cheap look at the pair of bytes at every second position finds where
 * a key may begin, and only there are the keys compared. Immutable and thread-safe.
 */
public final class KeyScrubber {

    /** What {@link #match} answers where no key begins. */
    public static final long NONE = -1;
    /** What {@link #match} answers where a key may begin that the bytes in hand cut short. */
    public static final long CUT = -2;

    /** What continues a data line's value on the next line: a client joins the two with LF. */
    private static final byte[] DATA = {'d', 'a', 't', 'a', ':'};
    /**
     * The most data line breaks found inside one key (five lines): more than any split a
     * provider makes, and few enough that what a stream holds back of a piece, waiting for the
     * rest of a key, stays small.
     */
    private static final int MAX_SPLITS = 4;

    /** The keys' bytes, the longest first, so that a key inside another leaves none of it. */
    private final byte[][] keys;
    private final byte[][] marks;
    private final String[] texts;
    private final String[] textMarks;
    /** Per first byte, the keys that begin with it, in the order of {@link #keys}. */
    private final int[][] byFirst = new int[256][];
    /**
     * A bit per pair of bytes (first << 8 | second) that may be a key's first two or its second
     * and third, so that a look at every second position finds each key.
     */
    private final long[] pairs = new long[1 << 10];
    /** A key is shorter than three bytes: every position is looked at. */
    private final boolean everyPosition;

    /** @param keys the configured upstream keys, replaced wherever they appear */
    public KeyScrubber(Collection<Secret> keys) {
        List<String> distinct = keys.stream().map(Secret::value).distinct()
                .sorted(Comparator.comparingInt(String::length).reversed()).toList();
        this.keys = new byte[distinct.size()][];
        this.marks = new byte[distinct.size()][];
        this.texts = distinct.toArray(String[]::new);
        this.textMarks = new String[distinct.size()];
        List<List<Integer>> starting = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            starting.add(new ArrayList<>());
        }
        boolean shortKey = false;
        for (int k = 0; k < texts.length; k++) {
            byte[] key = texts[k].getBytes(StandardCharsets.UTF_8);
            this.keys[k] = key;
            textMarks[k] = Redaction.mark(texts[k]);
            marks[k] = textMarks[k].getBytes(StandardCharsets.US_ASCII);
            int first = key[0] & 0xff;
            starting.get(first).add(k);
            if (key.length == 1) {
                for (int second = 0; second < 256; second++) {
                    flag(first << 8 | second);
                }
            } else {
                flag(first << 8 | key[1] & 0xff);
                flag(first << 8 | '\n'); // split across data lines after its first byte
            }
            if (key.length < 3) {
                shortKey = true;
            } else {
                int second = key[1] & 0xff;
                flag(second << 8 | key[2] & 0xff);
                flag(second << 8 | '\n'); // split after its second byte
                flag('\n' << 8 | 'd'); // split after its first byte, seen from the second
            }
        }
        this.everyPosition = shortKey;
        for (int b = 0; b < 256; b++) {
            if (!starting.get(b).isEmpty()) {
                byFirst[b] = starting.get(b).stream().mapToInt(Integer::intValue).toArray();
            }
        }
    }

    private void flag(int pair) {
        pairs[pair >>> 6] |= 1L << pair;
    }

    /**
     * Where the first key in {@code b[from, to)} begins, or -1; allocates nothing.
     *
     * @param whole the bytes end where the event ends; if not, a key may begin that they cut
     *     short, and where the first such one begins is answered too
     */
    public int find(byte[] b, int from, int to, boolean whole) {
        if (to <= from || keys.length == 0) {
            return -1;
        }
        long[] bits = pairs;
        int last = to - 1;
        int i = from;
        if (!everyPosition) {
            // A key at i - 1 shows in the pair at i as its second and third bytes.
            for (i = from + 1; i < last; i += 2) {
                int pair = (b[i] & 0xff) << 8 | b[i + 1] & 0xff;
                if ((bits[pair >>> 6] & 1L << pair) != 0) {
                    if (match(b, i - 1, to, whole) != NONE) {
                        return i - 1;
                    }
                    if (match(b, i, to, whole) != NONE) {
                        return i;
                    }
                }
            }
            i--; // the positions before it are looked at
        } else {
            for (; i < last; i++) {
                int pair = (b[i] & 0xff) << 8 | b[i + 1] & 0xff;
                if ((bits[pair >>> 6] & 1L << pair) != 0 && match(b, i, to, whole) != NONE) {
                    return i;
                }
            }
        }
        // The last bytes, which pair with too few: the start of a key cut short, or a short key.
        for (; i <= last; i++) {
            if (byFirst[b[i] & 0xff] != null && match(b, i, to, whole) != NONE) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The key that begins at {@code b[i]}: the key's number in its high half and the end of the
     * bytes it spans in its low half, {@link #NONE}, or (unless {@code whole}) {@link #CUT}.
     */
    public long match(byte[] b, int i, int to, boolean whole) {
        int[] candidates = byFirst[b[i] & 0xff];
        if (candidates == null) {
            return NONE;
        }
        for (int k : candidates) {
            int end = end(b, i, to, keys[k]);
            if (end >= 0) {
                return (long) k << 32 | end;
            }
            if (end == CUT && !whole) {
                return CUT; // a longer key may yet come whole: nothing shorter is taken for it
            }
        }
        return NONE;
    }

    /** What stands in for the key of {@link #match}'s answer. */
    public byte[] mark(long match) {
        return marks[(int) (match >>> 32)];
    }

    /** Where the bytes of {@link #match}'s answer end. */
    public static int end(long match) {
        return (int) match;
    }

    /**
     * The end of {@code key} found at {@code b[i]}, its bytes in order with at most
     * {@link #MAX_SPLITS} data line breaks ({@code \ndata:} and one optional space) between
     * them; {@link #NONE} when it is not there, {@link #CUT} when {@code to} comes first.
     */
    private static int end(byte[] b, int i, int to, byte[] key) {
        int n = Math.min(to - i, key.length);
        int m = Arrays.mismatch(b, i, i + n, key, 0, n);
        if (m < 0) {
            return n == key.length ? i + n : (int) CUT;
        }
        int j = i + m;
        int k = m;
        int splits = 0;
        while (k < key.length) {
            if (j == to) {
                return (int) CUT;
            }
            if (b[j] == key[k]) {
                j++;
                k++;
                continue;
            }
            if (b[j] != '\n' || k == 0 || ++splits > MAX_SPLITS) {
                return (int) NONE;
            }
            int d = Math.min(to - j - 1, DATA.length);
            if (!Arrays.equals(b, j + 1, j + 1 + d, DATA, 0, d)) {
                return (int) NONE;
            }
            if (d < DATA.length) {
                return (int) CUT;
            }
            j += 1 + DATA.length;
            if (j < to && b[j] == ' ') {
                j++;
            }
        }
        return j;
    }

    /**
     * {@code b[offset, offset + length)} with every key replaced by its mark, or null when it
     * holds none (the usual case, which allocates nothing).
     */
    public byte[] scrubbed(byte[] b, int offset, int length) {
        int to = offset + length;
        int i = find(b, offset, to, true);
        if (i < 0) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 32);
        int at = offset;
        while (i >= 0) {
            long found = match(b, i, to, true);
            out.write(b, at, i - at);
            out.writeBytes(mark(found));
            at = end(found);
            i = find(b, at, to, true);
        }
        out.write(b, at, to - at);
        return out.toByteArray();
    }

    /** {@code text} with every key replaced by its mark; the same instance when it holds none. */
    public String scrubbed(String text) {
        String scrubbed = text;
        for (int k = 0; k < texts.length; k++) {
            if (scrubbed.contains(texts[k])) {
                scrubbed = scrubbed.replace(texts[k], textMarks[k]);
            }
        }
        return scrubbed;
    }
}
