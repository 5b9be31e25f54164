package dev.sluice.config;

import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The names a process may set Sluice's settings by, gathered while they are read: every
 * {@code SLUICE_*} environment variable and {@code sluice.*} system property outside them is
 * refused at start, with the closest known name, so a misspelt setting cannot start Sluice as if
 * it were not there (the settings file already refuses its own typos). Variables that a settings
 * file names, such as a route's {@code key-env}, count as known.
 */
final class SettingNames {

    private static final String VARIABLE_PREFIX = "SLUICE_";
    private static final String PROPERTY_PREFIX = "sluice.";

    private final Set<String> variables = new TreeSet<>();
    private final Set<String> properties = new TreeSet<>();

    /** A setting read from {@code -D} or the environment by its derived property name. */
    void setting(String variable) {
        variables.add(variable);
        properties.add(Settings.propertyOf(variable));
    }

    /** A name read from the environment only. */
    void variable(String variable) {
        variables.add(variable);
    }

    /** A name read from the system properties only. */
    void property(String property) {
        properties.add(property);
    }

    /** Whether {@code variable} is one Sluice reads. */
    boolean knows(String variable) {
        return variables.contains(variable);
    }

    /** Refuses the first {@code SLUICE_*} variable or {@code sluice.*} property not known. */
    void check(Map<String, String> env, Properties system) {
        for (String name : new TreeSet<>(env.keySet())) {
            if (name.startsWith(VARIABLE_PREFIX) && !variables.contains(name)) {
                throw unknown("the environment variable " + name, name, variables, "");
            }
        }
        for (String name : new TreeSet<>(system.stringPropertyNames())) {
            if (name.startsWith(PROPERTY_PREFIX) && !properties.contains(name)) {
                throw unknown("-D" + name, name, properties, "-D");
            }
        }
    }

    private static ConfigException unknown(String what, String name, Set<String> known,
            String shown) {
        String closest = known.stream()
                .min(Comparator.comparingInt((String k) -> distance(lower(name), lower(k)))
                        .thenComparing(Comparator.naturalOrder()))
                .filter(k -> distance(lower(name), lower(k)) <= Math.max(2, name.length() / 4))
                .orElse(null);
        return new ConfigException(what + " is not a setting of Sluice"
                + (closest == null ? "" : "; did you mean " + shown + closest + "?")
                + " (the README lists every setting; unset it to start)");
    }

    private static String lower(String name) {
        return name.toLowerCase(Locale.ROOT).replace('_', '.').replace('-', '.');
    }

    /** Levenshtein distance: the fewest one-character edits that turn {@code a} into {@code b}. */
    static int distance(String a, String b) {
        int[] row = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            row[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int above = row[j];
                row[j] = Math.min(Math.min(row[j] + 1, row[j - 1] + 1),
                        diagonal + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.length()];
    }
}
