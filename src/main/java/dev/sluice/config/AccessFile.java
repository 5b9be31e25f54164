package dev.sluice.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads who may call Sluice from a properties file (see {@code etc/access.properties}): clients
 * ({@code client.NAME.*}), JWT verification ({@code jwt.*}), anonymous access and trusted proxies.
 */
final class AccessFile {

    private static final Set<String> CLIENT_KEYS = Set.of("token-sha256", "routes", "models",
            "max-streams", "requests-per-minute", "daily-tokens");
    private static final Set<String> JWT_KEYS = Set.of("hs256-secret-env", "public-key", "jwks",
            "issuer", "audience", "clock-skew", "client", "max-lifetime");
    private static final Pattern LIFETIME = Pattern.compile("(\\d{1,9})(s|m|h|d)");

    private final Properties file;
    private final String path;
    private final Map<String, String> env;
    private final SettingNames names;
    private final Map<String, String> secrets;

    private AccessFile(Properties file, String path, Map<String, String> env,
            SettingNames names, Map<String, String> secrets) {
        this.file = file;
        this.path = path;
        this.env = env;
        this.names = names;
        this.secrets = secrets;
    }

    /**
     * The access file at {@code path}; the variables it names are added to {@code names}, and
     * taken from {@code secrets} first.
     */
    static Access load(String path, Map<String, String> env, SettingNames names,
            Map<String, String> secrets) {
        if (path == null) {
            return Access.NONE;
        }
        Properties file = PropertiesFile.read("SLUICE_ACCESS (-Dsluice.access)", path,
                () -> Files.newBufferedReader(Path.of(path), StandardCharsets.UTF_8));
        return new AccessFile(file, path, env, names, secrets).access();
    }

    private Access access() {
        Map<String, Client> clients = new HashMap<>();
        Map<String, Client> tokens = new HashMap<>();
        Set<String> names = new TreeSet<>();
        for (String key : file.stringPropertyNames()) {
            String[] parts = key.split("\\.");
            boolean known = switch (parts[0]) {
                case "client" -> parts.length == 3 && CLIENT_KEYS.contains(parts[2]);
                case "jwt" -> parts.length == 2 && JWT_KEYS.contains(parts[1]);
                case "anonymous" -> key.equals("anonymous.client");
                case "trusted-proxies" -> parts.length == 1;
                default -> false;
            };
            if (!known) {
                throw fail(key, "is not an access setting");
            }
            if (parts[0].equals("client")) {
                names.add(parts[1]);
            }
        }
        for (String name : names) {
            Client client = client(name);
            clients.put(name, client);
            String hash = get("client." + name + ".token-sha256");
            if (hash != null) {
                // The shipped sample's placeholder: no token has it, and it would be a client
                // that nobody can be, counted as one.
                if (hash.matches("0+")) {
                    throw fail("client." + name + ".token-sha256", "is the sample's placeholder: "
                            + "replace the line with the one `make token NAME=" + name
                            + "` prints");
                }
                if (hash.length() != 64 || !hash.chars().allMatch(HexFormat::isHexDigit)) {
                    // Never shown: a token pasted in place of its hash is a secret.
                    throw fail("client." + name + ".token-sha256", "is not 64 hex digits (it "
                            + "has " + hash.length() + " characters; a token pasted in place of "
                            + "its hash? Put the hash that `make token NAME=" + name
                            + "` prints)");
                }
                if (tokens.put(hash.toLowerCase(Locale.ROOT), client) != null) {
                    throw fail("client." + name + ".token-sha256", "is another client's too");
                }
            }
        }
        String anonymous = get("anonymous.client");
        Access access;
        try {
            access = new Access(tokens, jwt(clients), anonymous == null ? null
                    : group(clients, "anonymous.client", anonymous), list("trusted-proxies"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(path + ": " + e.getMessage());
        }
        if (!access.configured()) {
            // Without this it would read as no access file at all: anyone on this machine in.
            throw new ConfigException(path + " (SLUICE_ACCESS) admits nobody: it names no "
                    + "client with a client.NAME.token-sha256, no jwt.* and no anonymous.client"
                    + "; add one (make token NAME=web prints a line) or unset SLUICE_ACCESS");
        }
        return access;
    }

    private Client client(String name) {
        String prefix = "client." + name + ".";
        return new Client(name, list(prefix + "routes"), list(prefix + "models"),
                number(prefix + "max-streams"), number(prefix + "requests-per-minute"),
                number(prefix + "daily-tokens"));
    }

    private Jwt jwt(Map<String, Client> clients) {
        if (file.stringPropertyNames().stream().noneMatch(k -> k.startsWith("jwt."))) {
            return null;
        }
        String secretEnv = get("jwt.hs256-secret-env");
        Secret secret = null;
        if (secretEnv != null) {
            names.variable(secretEnv);
            String value = secrets.getOrDefault(secretEnv, env.get(secretEnv));
            if (value == null || value.isBlank()) {
                throw fail("jwt.hs256-secret-env", "names " + secretEnv + ", which is not set");
            }
            if (value.getBytes(StandardCharsets.UTF_8).length < 32) {
                throw fail("jwt.hs256-secret-env", "names a secret shorter than 32 bytes");
            }
            secret = new Secret(value);
        }
        String key = get("jwt.public-key");
        String jwks = get("jwt.jwks");
        String clientName = get("jwt.client");
        if (clientName == null) {
            throw fail("jwt.client", "is required: the limits every user gets");
        }
        String skew = get("jwt.clock-skew");
        Duration maxLifetime = lifetime(get("jwt.max-lifetime"));
        try {
            return new Jwt(secret, key == null ? null : existing("jwt.public-key", key),
                    jwks == null ? null : existing("jwt.jwks", jwks), get("jwt.issuer"),
                    get("jwt.audience"),
                    skew == null ? Duration.ofSeconds(30) : Duration.ofSeconds(Long.parseLong(
                            skew.replaceAll("s$", ""))),
                    group(clients, "jwt.client", clientName), maxLifetime);
        } catch (NumberFormatException e) {
            throw fail("jwt.clock-skew", "must be seconds, e.g. 30s");
        } catch (IllegalArgumentException e) {
            throw new ConfigException(path + ": jwt: " + e.getMessage());
        }
    }

    /** {@code jwt.max-lifetime}, e.g. {@code 1h}, {@code 15m}, {@code 1d}; null when unset. */
    private Duration lifetime(String value) {
        if (value == null) {
            return null;
        }
        Matcher m = LIFETIME.matcher(value);
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw fail("jwt.max-lifetime", "must be a positive duration such as 15m, 1h or 1d, "
                    + "got '" + value + "'");
        }
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        };
    }

    private Path existing(String key, String value) {
        Path file = Path.of(value);
        if (!Files.isReadable(file)) {
            throw fail(key, "names " + value + ", which cannot be read");
        }
        return file;
    }

    private Client group(Map<String, Client> clients, String key, String name) {
        Client client = clients.get(name);
        if (client == null) {
            throw fail(key, "names client " + name + ", which is not defined (client." + name
                    + ".*)");
        }
        return client;
    }

    private String get(String key) {
        String value = file.getProperty(key);
        return value == null || value.isBlank() ? null : value.strip();
    }

    private Set<String> list(String key) {
        String value = get(key);
        return value == null ? Set.of() : new LinkedHashSet<>(Arrays.stream(value.split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).toList());
    }

    private int number(String key) {
        String value = get(key);
        try {
            int number = value == null ? 0 : Integer.parseInt(value);
            if (number >= 0) {
                return number;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw fail(key, "must be a whole number, 0 or more (0: no limit), got '" + value + "'");
    }

    private ConfigException fail(String key, String what) {
        return new ConfigException(path + ": " + key + " " + what);
    }
}
