package dev.sluice.observe;

/**
 * A value from a client or an upstream made safe to put in a log line: every character that
 * could end the line or forge another is written as an escape.
 */
public final class LogText {

    private LogText() {}

    /**
     * {@code text} with CR, LF, tab and the other C0 and C1 controls, DEL, U+2028 and U+2029
     * escaped ({@code \n}, {@code \r}, {@code \t}, else as a Unicode escape), and the backslash
     * doubled so that an escape cannot be faked; null stays null.
     */
    public static String of(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String escape = switch (c) {
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                case '\t' -> "\\t";
                case '\\' -> "\\\\";
                default -> c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029'
                        ? String.format("\\u%04x", (int) c) : null;
            };
            if (escape != null && out == null) {
                out = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (out != null) {
                if (escape != null) {
                    out.append(escape);
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? text : out.toString();
    }
}
