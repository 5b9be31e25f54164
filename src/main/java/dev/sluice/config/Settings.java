package dev.sluice.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Raw setting values by precedence: system property, then environment variable, then the optional
 * properties file, then the default. A setting is named by its environment variable; its system
 * property is derived ({@code SLUICE_MAX_LINE_BYTES} is {@code sluice.max-line-bytes},
 * {@code OPENAI_API_KEY} is {@code openai.api-key}).
 */
final class Settings {

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m)");
    private static final Pattern ORIGIN = Pattern.compile(
            "https?://(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]+])"
                    + "(?::\\d{1,5})?");

    private static final Pattern HOST_NAME = Pattern.compile(
            "[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?\\.?");

    private final Map<String, String> env;
    private final Properties system;
    private final Properties file;
    private final String fileName;

    private Settings(Map<String, String> env, Properties system, Properties file, String fileName) {
        this.env = env;
        this.system = system;
        this.file = file;
        this.fileName = fileName;
    }

    /** Reads the properties file named by {@code configVariable}, if any, and checks its keys. */
    static Settings load(Map<String, String> env, Properties system, String configVariable,
            Set<String> known, Set<String> secret) {
        Settings bare = new Settings(env, system, new Properties(), null);
        String path = bare.raw(configVariable);
        if (path == null) {
            return bare;
        }
        Properties file = PropertiesFile.read(describe(configVariable), path,
                () -> Files.newBufferedReader(Path.of(path), StandardCharsets.UTF_8));
        for (String key : file.stringPropertyNames()) {
            String variable = variableOf(key);
            if (secret.contains(variable)) {
                throw new ConfigException(path + ": " + key + " is a secret; set it in the "
                        + "environment as " + variable + ", not in a file");
            }
            if (!known.contains(variable)) {
                throw new ConfigException(path + ": unknown setting " + key);
            }
            if (!key.equals(propertyOf(variable))) {
                throw new ConfigException(path + ": " + key + " must be written "
                        + propertyOf(variable));
            }
        }
        return new Settings(env, system, file, path);
    }

    static String propertyOf(String variable) {
        String lower = variable.toLowerCase(Locale.ROOT);
        int first = lower.indexOf('_');
        return lower.substring(0, first) + "." + lower.substring(first + 1).replace('_', '-');
    }

    private static String variableOf(String property) {
        return property.replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
    }

    static String describe(String variable) {
        return variable + " (-D" + propertyOf(variable) + ")";
    }

    /** The value as given, or null when no source sets it (blank counts as unset). */
    String raw(String variable) {
        String property = propertyOf(variable);
        for (String value : new String[] {
                system.getProperty(property), env.get(variable), file.getProperty(property)}) {
            if (value != null && !value.isBlank()) {
                return value.strip();
            }
        }
        return null;
    }

    String string(String variable, String fallback) {
        String value = raw(variable);
        return value == null ? fallback : value;
    }

    int integer(String variable, int fallback, int min, int max) {
        String value = raw(variable);
        if (value == null) {
            return fallback;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below with the allowed range
        }
        throw invalid(variable, value, "a whole number from " + min + " to " + max);
    }

    <E extends Enum<E>> E choice(String variable, E fallback) {
        String value = raw(variable);
        if (value == null) {
            return fallback;
        }
        for (E option : fallback.getDeclaringClass().getEnumConstants()) {
            if (option.name().equalsIgnoreCase(value)) {
                return option;
            }
        }
        throw invalid(variable, value, "one of " + String.join(", ", java.util.Arrays.stream(
                fallback.getDeclaringClass().getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).toList()));
    }

    boolean bool(String variable, boolean fallback) {
        String value = raw(variable);
        if (value == null) {
            return fallback;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw invalid(variable, value, "true or false");
        };
    }

    /**
     * A comma-separated list of web origins as browsers send them ({@code https://app.example.com}
     * or with a port): never {@code *} or {@code null}, which would let any page, or a sandboxed
     * one, spend the keys; never a path or a trailing slash, which no browser sends.
     */
    Set<String> origins(String variable) {
        String value = raw(variable);
        Set<String> origins = new LinkedHashSet<>();
        for (String origin : value == null ? new String[0] : value.split(",")) {
            origin = origin.strip();
            if (origin.isEmpty()) {
                continue;
            }
            if (!ORIGIN.matcher(origin).matches()) {
                throw invalid(variable, value, "web origins such as https://app.example.com or "
                        + "http://127.0.0.1:3000, each named (no *, null, path or trailing /)");
            }
            origins.add(origin.toLowerCase(Locale.ROOT));
        }
        return Set.copyOf(origins);
    }

    /**
     * A comma-separated list of host names (or IPv4 literals) as a {@code Host} header names
     * them, lower-cased: never with a port, a scheme or {@code *}, since the port is not
     * compared and a pattern would admit the very names a rebinding page uses.
     */
    Set<String> hosts(String variable) {
        String value = raw(variable);
        Set<String> hosts = new LinkedHashSet<>();
        for (String host : value == null ? new String[0] : value.split(",")) {
            host = host.strip().toLowerCase(Locale.ROOT);
            if (host.isEmpty()) {
                continue;
            }
            String wrong = host.contains("://") ? "has a scheme"
                    : host.contains("*") ? "is a pattern (*)"
                    : host.contains(":") ? "has a port (the port is not compared)"
                    : !HOST_NAME.matcher(host).matches() ? "is not a host name" : null;
            if (wrong != null) {
                throw invalid(variable, value, "host names such as sluice.lan or my-laptop, "
                        + "without port, scheme or *; '" + host + "' " + wrong);
            }
            hosts.add(host.endsWith(".") ? host.substring(0, host.length() - 1) : host);
        }
        return Set.copyOf(hosts);
    }

    /** A duration written {@code 250ms}, {@code 10s} or {@code 2m}; zero only if allowed. */
    Duration duration(String variable, Duration fallback, boolean zeroAllowed) {
        String value = raw(variable);
        if (value == null) {
            return fallback;
        }
        Matcher m = DURATION.matcher(value);
        if (!m.matches() || (!zeroAllowed && Long.parseLong(m.group(1)) == 0)) {
            throw invalid(variable, value, (zeroAllowed ? "" : "a positive ")
                    + "duration such as 250ms, 10s or 2m");
        }
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            default -> Duration.ofMinutes(amount);
        };
    }

    /** A duration in the form {@link #duration} reads: {@code 250ms}, {@code 10s}, {@code 2m}. */
    static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis % 60_000 == 0 && millis > 0) {
            return millis / 60_000 + "m";
        }
        return millis % 1000 == 0 && millis > 0 ? millis / 1000 + "s" : millis + "ms";
    }

    private ConfigException invalid(String variable, String value, String expected) {
        String where = fileName == null ? "" : " (settings file " + fileName + ")";
        return new ConfigException(describe(variable) + " must be " + expected + ", got '" + value
                + "'" + where);
    }
}
