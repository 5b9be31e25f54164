package dev.sluice.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Writes a tree of maps, lists, strings, numbers and booleans as indented JSON. */
final class Json {

    private Json() {}

    static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, "");
        return out.append('\n').toString();
    }

    private static void write(StringBuilder out, Object value, String indent) {
        switch (value) {
            case null -> out.append("null");
            case Map<?, ?> map -> {
                out.append('{');
                String inner = indent + "  ";
                String comma = "\n";
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    out.append(comma).append(inner);
                    string(out, String.valueOf(entry.getKey()));
                    out.append(": ");
                    write(out, entry.getValue(), inner);
                    comma = ",\n";
                }
                out.append(map.isEmpty() ? "" : "\n" + indent).append('}');
            }
            case List<?> list -> {
                out.append('[');
                for (int i = 0; i < list.size(); i++) {
                    out.append(i == 0 ? "" : ", ");
                    write(out, list.get(i), indent);
                }
                out.append(']');
            }
            case double[] numbers -> write(out, Arrays.stream(numbers).boxed().toList(), indent);
            case Double d when d.isNaN() || d.isInfinite() -> out.append("null");
            case Double d -> out.append(d == Math.rint(d) && Math.abs(d) < 1e15
                    ? Long.toString(d.longValue()) : String.format(Locale.ROOT, "%.4g", d)
                            .replaceFirst("(\\.\\d*?)0+(e|$)", "$1$2").replace(".e", "e")
                            .replaceFirst("\\.$", ""));
            case Number n -> out.append(n);
            case Boolean b -> out.append(b);
            default -> string(out, value.toString());
        }
    }

    private static void string(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
