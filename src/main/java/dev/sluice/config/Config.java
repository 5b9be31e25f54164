package dev.sluice.config;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;

/**
 * Sluice's settings, read once at start-up and immutable after.
 *
 * @param upstreamUrl the OpenAI-compatible base URL (ending before {@code /chat/completions}),
 *     or null to relay to the built-in simulated upstream
 * @param apiKey the key sent upstream as a bearer token, or null to send none (local servers)
 */
public record Config(
        String host,
        int port,
        URI upstreamUrl,
        Secret apiKey,
        Duration connectTimeout,
        int maxLineBytes,
        int maxBodyBytes,
        Duration simulatedTokenDelay,
        String demoModel) {

    public static final URI OPENAI_URL = URI.create("https://api.openai.com/v1");

    private static final String CONFIG = "SLUICE_CONFIG";
    private static final String HOST = "SLUICE_HOST";
    private static final String PORT = "SLUICE_PORT";
    private static final String API_KEY = "OPENAI_API_KEY";
    private static final String BASE_URL = "OPENAI_BASE_URL";
    private static final String CONNECT_TIMEOUT = "SLUICE_CONNECT_TIMEOUT";
    private static final String MAX_LINE_BYTES = "SLUICE_MAX_LINE_BYTES";
    private static final String MAX_BODY_BYTES = "SLUICE_MAX_BODY_BYTES";
    private static final String SIMULATED_TOKEN_DELAY = "SLUICE_SIMULATED_TOKEN_DELAY";
    private static final String DEMO_MODEL = "SLUICE_DEMO_MODEL";
    private static final Set<String> KNOWN = Set.of(HOST, PORT, BASE_URL, CONNECT_TIMEOUT,
            MAX_LINE_BYTES, MAX_BODY_BYTES, SIMULATED_TOKEN_DELAY, DEMO_MODEL);

    public Config {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(simulatedTokenDelay, "simulatedTokenDelay");
        Objects.requireNonNull(demoModel, "demoModel");
    }

    /** Reads the settings from system properties, the environment and the optional file. */
    public static Config load(Map<String, String> env, Properties system) {
        Settings s = Settings.load(env, system, CONFIG, KNOWN, Set.of(API_KEY));
        String key = s.raw(API_KEY);
        URI url = s.url(BASE_URL);
        if (url == null && key != null) {
            url = OPENAI_URL;
        }
        return new Config(
                s.string(HOST, "127.0.0.1"),
                s.integer(PORT, 8080, 0, 65535),
                url,
                key == null ? null : new Secret(key),
                s.duration(CONNECT_TIMEOUT, Duration.ofSeconds(10), false),
                s.integer(MAX_LINE_BYTES, 1 << 20, 1024, 64 << 20),
                s.integer(MAX_BODY_BYTES, 1 << 20, 1024, 64 << 20),
                s.duration(SIMULATED_TOKEN_DELAY, Duration.ofMillis(30), true),
                s.string(DEMO_MODEL, "gpt-4o-mini"));
    }

    /** Reads the settings of this process. */
    public static Config fromEnvironment() {
        return load(System.getenv(), System.getProperties());
    }

    /** True when no upstream is configured and the built-in simulated one answers. */
    public boolean simulated() {
        return upstreamUrl == null;
    }

    /** The effective settings for the start-up log; the key appears only as a fingerprint. */
    public Map<String, String> describe() {
        Map<String, String> lines = new LinkedHashMap<>();
        lines.put(Settings.describe(HOST), host);
        lines.put(Settings.describe(PORT), Integer.toString(port));
        lines.put(Settings.describe(BASE_URL),
                simulated() ? "(simulated upstream)" : upstreamUrl.toString());
        lines.put(Settings.describe(API_KEY), apiKey == null ? "(none)" : apiKey.fingerprint());
        lines.put(Settings.describe(CONNECT_TIMEOUT), Settings.format(connectTimeout));
        lines.put(Settings.describe(MAX_LINE_BYTES), Integer.toString(maxLineBytes));
        lines.put(Settings.describe(MAX_BODY_BYTES), Integer.toString(maxBodyBytes));
        lines.put(Settings.describe(SIMULATED_TOKEN_DELAY), Settings.format(simulatedTokenDelay));
        lines.put(Settings.describe(DEMO_MODEL), demoModel);
        return lines;
    }
}
