package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Start-up settings: defaults, precedence of system property over environment over file, the
 * derived property names, refusals that say what is wrong, and a key that never leaks.
 */
class ConfigTest {

    private static final String KEY = "sk-test-0123456789abcdef";

    @TempDir
    Path dir;

    private static Config load(Map<String, String> env) {
        return Config.load(env, new Properties());
    }

    private static Config load(Map<String, String> env, Properties system) {
        return Config.load(env, system);
    }

    private static Properties props(String... keysAndValues) {
        Properties properties = new Properties();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            properties.setProperty(keysAndValues[i], keysAndValues[i + 1]);
        }
        return properties;
    }

    private static ConfigException refused(Map<String, String> env) {
        return assertThrows(ConfigException.class, () -> load(env));
    }

    private Path file(String content) throws IOException {
        Path path = Files.createTempFile(dir, "sluice", ".properties");
        return Files.writeString(path, content);
    }

    // Defaults and the choice of upstream

    @Test
    void withNothingSetServesTheSimulatedUpstreamOnLoopback() {
        Config config = load(Map.of());

        assertEquals("127.0.0.1", config.host());
        assertEquals(8080, config.port());
        assertTrue(config.simulated());
        assertNull(config.route("openai").url());
        assertTrue(config.route("openai").keys().isEmpty());
        assertEquals(1 << 20, config.maxLineBytes());
        assertEquals(1 << 20, config.maxBodyBytes());
        assertEquals(Duration.ofSeconds(10), config.timeouts().connect());
        assertEquals(Duration.ofMillis(30), config.simulatedTokenDelay());
        assertEquals("gpt-4o-mini", config.demoModel());
    }

    @Test
    void apiKeyAloneRelaysToOpenAi() {
        Config config = load(Map.of("OPENAI_API_KEY", KEY));

        assertFalse(config.route("openai").simulated());
        assertEquals(URI.create("https://api.openai.com/v1"), config.route("openai").url());
        assertEquals(KEY, config.route("openai").keys().getFirst().value());
    }

    @Test
    void aKeyVariableWithCommasIsAPoolInItsOrder() {
        Config config = load(Map.of("OPENAI_API_KEY", "sk-one-0001, sk-two-0002 ,sk-three-0003"));

        assertEquals(List.of(new Secret("sk-one-0001"), new Secret("sk-two-0002"),
                new Secret("sk-three-0003")), config.route("openai").keys());
        String route = config.describe().entrySet().stream()
                .filter(e -> e.getKey().startsWith("route openai")).findFirst().orElseThrow()
                .getValue();
        assertTrue(route.contains("3 keys [" + new Secret("sk-one-0001").fingerprint() + ", "),
                route);
        assertFalse(route.contains("sk-one"), route);
    }

    @Test
    void aPoolWithAnEmptyOrRepeatedKeyIsRefusedWithoutShowingAKey() {
        ConfigException empty = refused(Map.of("OPENAI_API_KEY", "sk-one-0001,,sk-two-0002"));
        assertEquals("OPENAI_API_KEY (-Dopenai.api-key) has an empty key at position 2 of 3: "
                + "separate the keys of a pool with single commas", empty.getMessage());

        ConfigException twice = refused(Map.of("OPENAI_API_KEY",
                "sk-one-0001,sk-two-0002,sk-one-0001"));
        assertTrue(twice.getMessage().contains("the same key at positions 1 and 3"),
                twice::getMessage);
        assertFalse(twice.getMessage().contains("sk-one"), twice::getMessage);
    }

    @Test
    void baseUrlAloneRelaysToLocalServerWithoutKey() {
        Config config = load(Map.of("OPENAI_BASE_URL", "http://127.0.0.1:8081/v1"));

        assertFalse(config.route("openai").simulated());
        assertEquals(URI.create("http://127.0.0.1:8081/v1"), config.route("openai").url());
        assertTrue(config.route("openai").keys().isEmpty());
    }

    @Test
    void baseUrlAndKeyTogetherRelayToThatUrlWithTheKey() {
        Config config = load(Map.of(
                "OPENAI_BASE_URL", "https://openrouter.ai/api/v1", "OPENAI_API_KEY", KEY));

        assertEquals(URI.create("https://openrouter.ai/api/v1"), config.route("openai").url());
        assertEquals(KEY, config.route("openai").keys().getFirst().value());
    }

    @ParameterizedTest
    @CsvSource({
        "http://localhost:8081/v1/,   http://localhost:8081/v1",
        "http://localhost:8081/v1///, http://localhost:8081/v1",
        "https://example.com/,        https://example.com",
        "https://example.com/v1,      https://example.com/v1",
    })
    void trailingSlashesAreRemovedFromBaseUrl(String given, String expected) {
        Config config = load(Map.of("OPENAI_BASE_URL", given));

        assertEquals(URI.create(expected), config.route("openai").url());
    }

    @ParameterizedTest
    @ValueSource(strings = {"*", "null", "https://app.example.com/", "https://app.example.com/x",
        "app.example.com", "https://*.example.com", "https://a.example.com, *", "ftp://a.b"})
    void corsOriginsNameEachOriginAsABrowserSendsIt(String origins) {
        ConfigException e = refused(Map.of("SLUICE_CORS_ORIGINS", origins));

        assertTrue(e.getMessage().startsWith("SLUICE_CORS_ORIGINS (-Dsluice.cors-origins) must "
                + "be web origins"), e.getMessage());
    }

    @Test
    void corsOriginsAreReadAsBrowsersSendThem() {
        assertEquals(Set.of("https://app.example.com", "http://127.0.0.1:3000", "http://[::1]:8"),
                load(Map.of("SLUICE_CORS_ORIGINS", " https://App.Example.com,"
                        + "http://127.0.0.1:3000 , http://[::1]:8,")).corsOrigins());
    }

    @Test
    void aClientLimitedToARouteThatIsNotThereIsRefusedAtStart() throws IOException {
        Path access = file("client.web.token-sha256 = " + "ab".repeat(32) + "\n"
                + "client.web.routes = openai, anthropc\n");

        ConfigException e = refused(Map.of("SLUICE_ACCESS", access.toString()));

        assertTrue(e.getMessage().contains("client web may use route 'anthropc', but no route "
                + "of that name is on; the routes are anthropic, openai"), e.getMessage());
        Path fixed = file("client.web.token-sha256 = " + "ab".repeat(32) + "\n"
                + "client.web.routes = openai\n");
        assertEquals("1 token client", load(Map.of("SLUICE_ACCESS", fixed.toString()))
                .describe().get("SLUICE_ACCESS (-Dsluice.access)"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "1", "65535"})
    void portAcceptsTheWholeRangeIncludingEphemeralZero(String port) {
        assertEquals(Integer.parseInt(port), load(Map.of("SLUICE_PORT", port)).port());
    }

    @ParameterizedTest
    @CsvSource({"250ms, 250", "10s, 10000", "2m, 120000"})
    void durationsAreWrittenInMillisecondsSecondsOrMinutes(String given, long millis) {
        Config config = load(Map.of("SLUICE_CONNECT_TIMEOUT", given));

        assertEquals(Duration.ofMillis(millis), config.timeouts().connect());
    }

    @Test
    void surroundingWhitespaceIsIgnored() {
        Config config = load(Map.of("SLUICE_PORT", " 9000 ", "OPENAI_API_KEY", " " + KEY + "\t"));

        assertEquals(9000, config.port());
        assertEquals(KEY, config.route("openai").keys().getFirst().value());
    }

    // Precedence

    @Test
    void systemPropertyBeatsEnvironmentBeatsFile() throws IOException {
        String path = file("sluice.port=7001\n").toString();
        Map<String, String> fileOnly = Map.of("SLUICE_CONFIG", path);
        Map<String, String> envAndFile = Map.of("SLUICE_CONFIG", path, "SLUICE_PORT", "7002");

        assertEquals(7001, load(fileOnly).port());
        assertEquals(7002, load(envAndFile).port());
        assertEquals(7003, load(envAndFile, props("sluice.port", "7003")).port());
    }

    @Test
    void fileCanBeNamedBySystemProperty() throws IOException {
        Path path = file("sluice.host=127.0.0.9\nsluice.demo-model=llama-3\n");

        Config config = load(Map.of(), props("sluice.config", path.toString()));

        assertEquals("127.0.0.9", config.host());
        assertEquals("llama-3", config.demoModel());
    }

    @Test
    void fileNamedBySystemPropertyBeatsFileNamedByEnvironment() throws IOException {
        Path fromEnv = file("sluice.port=7001\n");
        Path fromProperty = file("sluice.port=7002\n");

        Config config = load(Map.of("SLUICE_CONFIG", fromEnv.toString()),
                props("sluice.config", fromProperty.toString()));

        assertEquals(7002, config.port());
    }

    @Test
    void fileSettingsApplyToEverySetting() throws IOException {
        Path path = file("""
                sluice.host=127.0.0.2
                sluice.port=9000
                sluice.connect-timeout=3s
                sluice.max-line-bytes=4096
                sluice.max-body-bytes=8192
                sluice.simulated-token-delay=5ms
                sluice.demo-model=llama-3
                """);

        Config config = load(Map.of("SLUICE_CONFIG", path.toString()));

        Timeouts d = Timeouts.DEFAULTS;
        assertEquals(new Config("127.0.0.2", 9000, load(Map.of()).routes(), Access.NONE, Set.of(),
                new Timeouts(Duration.ofSeconds(3), d.response(), d.firstEvent(), d.idle(),
                        d.stream(), d.heartbeat()),
                Retries.DEFAULTS, Duration.ofSeconds(30), 100, 4096, 8192, 1 << 20, false,
                Config.MetricsAccess.LOOPBACK, Duration.ofMillis(5), "llama-3",
                Connections.DEFAULTS, Resume.DEFAULTS), config);
    }

    @Test
    void resumableStreamSettingsAreReadAndTheSigningKeyIsASecret(@TempDir Path dir)
            throws IOException {
        Config config = load(Map.of("SLUICE_RESUME_GRACE", "5s", "SLUICE_RESUME_RETENTION", "2m",
                "SLUICE_RESUME_MEMORY", "4096",
                "SLUICE_RESUME_SECRET", "0123456789abcdef0123456789abcdef"));
        assertEquals(new Resume(Duration.ofMinutes(2), 4096, Duration.ofSeconds(5),
                new Secret("0123456789abcdef0123456789abcdef")), config.resume());
        assertEquals("(set)", config.describe().get(
                "SLUICE_RESUME_SECRET (-Dsluice.resume-secret)"));
        ConfigException shortKey = assertThrows(ConfigException.class,
                () -> load(Map.of("SLUICE_RESUME_SECRET", "short")));
        assertFalse(shortKey.getMessage().contains("short'"), shortKey.getMessage());
        Path file = dir.resolve("s.properties");
        Files.writeString(file, "sluice.resume-secret = 0123456789abcdef0123456789abcdef\n");
        ConfigException inFile = assertThrows(ConfigException.class,
                () -> load(Map.of("SLUICE_CONFIG", file.toString())));
        assertTrue(inFile.getMessage().contains("is a secret"), inFile.getMessage());
    }

    // Derived property names

    @ParameterizedTest
    @CsvSource({
        "SLUICE_MAX_LINE_BYTES,        sluice.max-line-bytes",
        "SLUICE_MAX_BODY_BYTES,        sluice.max-body-bytes",
        "SLUICE_SIMULATED_TOKEN_DELAY, sluice.simulated-token-delay",
        "SLUICE_PORT,                  sluice.port",
        "SLUICE_CONFIG,                sluice.config",
        "OPENAI_API_KEY,               openai.api-key",
        "OPENAI_BASE_URL,              openai.base-url",
    })
    void propertyNameIsDerivedFromVariableName(String variable, String property) {
        assertEquals(property, Settings.propertyOf(variable));
        assertEquals(variable + " (-D" + property + ")", Settings.describe(variable));
    }

    @ParameterizedTest
    @CsvSource({
        "SLUICE_MAX_LINE_BYTES,        sluice.max-line-bytes,        4096",
        "SLUICE_MAX_BODY_BYTES,        sluice.max-body-bytes,        8192",
        "SLUICE_SIMULATED_TOKEN_DELAY, sluice.simulated-token-delay, 5ms",
        "SLUICE_CONNECT_TIMEOUT,       sluice.connect-timeout,       3s",
        "OPENAI_API_KEY,               openai.api-key,               local-key-123",
        "OPENAI_BASE_URL,              openai.base-url,              http://127.0.0.1:8081/v1",
    })
    void variableAndDerivedPropertySetTheSameSetting(
            String variable, String property, String value) {
        Function<Config, String> read = c -> switch (variable) {
            case "SLUICE_MAX_LINE_BYTES" -> Integer.toString(c.maxLineBytes());
            case "SLUICE_MAX_BODY_BYTES" -> Integer.toString(c.maxBodyBytes());
            case "SLUICE_SIMULATED_TOKEN_DELAY" -> c.simulatedTokenDelay().toMillis() + "ms";
            case "SLUICE_CONNECT_TIMEOUT" -> c.timeouts().connect().toSeconds() + "s";
            case "OPENAI_API_KEY" -> c.route("openai").keys().getFirst().value();
            default -> c.route("openai").url().toString();
        };

        assertEquals(value, read.apply(load(Map.of(variable, value))));
        assertEquals(value, read.apply(load(Map.of(), props(property, value))));
    }

    // Refusals

    @ParameterizedTest
    @ValueSource(strings = {"JSON", "jsonl", "Text", ""})
    void aLogFormatLogbackDoesNotKnowIsRefusedInsteadOfSilencingTheLog(String format) {
        ConfigException fromEnv = refused(Map.of("SLUICE_LOG_FORMAT", format));
        ConfigException fromProperty = assertThrows(ConfigException.class,
                () -> load(Map.of(), props("SLUICE_LOG_FORMAT", format)));

        for (ConfigException e : List.of(fromEnv, fromProperty)) {
            assertTrue(e.getMessage().contains("SLUICE_LOG_FORMAT"), e.getMessage());
            assertTrue(e.getMessage().contains("must be text or json, got '" + format + "'"),
                    e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"text", "json"})
    void theTwoLogFormatsAreAccepted(String format) {
        assertDoesNotThrow(() -> load(Map.of("SLUICE_LOG_FORMAT", format)));
        assertDoesNotThrow(() -> load(Map.of(), props("SLUICE_LOG_FORMAT", format)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "SLUICE_PORT           |sluice.port           |abc           |whole number from 0 to 65535",
        "SLUICE_PORT           |sluice.port           |70000         |whole number from 0 to 65535",
        "SLUICE_PORT           |sluice.port           |-1            |whole number from 0 to 65535",
        "SLUICE_MAX_LINE_BYTES |sluice.max-line-bytes |100           |whole number from 1024",
        "SLUICE_CONNECT_TIMEOUT|sluice.connect-timeout|10 seconds    |duration such as 250ms",
        "SLUICE_CONNECT_TIMEOUT|sluice.connect-timeout|10            |duration such as 250ms",
        "OPENAI_BASE_URL       |openai.base-url       |ftp://x       |http:// or https:// URL",
        "OPENAI_BASE_URL       |openai.base-url       |not a url     |http:// or https:// URL",
        "OPENAI_BASE_URL       |openai.base-url       |localhost:8081|http:// or https:// URL",
        "OPENAI_BASE_URL       |openai.base-url       |http://u:p@h/1|without user",
        "OPENAI_BASE_URL       |openai.base-url       |http://h/1?x=1|query",
        "OPENAI_BASE_URL       |openai.base-url       |http://h/1#top|fragment",
        "SLUICE_MAX_CONNECTIONS|sluice.max-connections|0             |whole number from 1",
        "SLUICE_MIN_REQUEST_RATE|sluice.min-request-rate|-5          |whole number from 0",
        "SLUICE_HEADER_TIMEOUT |sluice.header-timeout |0s            |a positive duration",
    })
    void invalidValueIsRefusedNamingVariablePropertyAndWhatIsExpected(
            String variable, String property, String value, String expected) {
        ConfigException e = refused(Map.of(variable, value));

        assertTrue(e.getMessage().contains(variable), e.getMessage());
        assertTrue(e.getMessage().contains("-D" + property), e.getMessage());
        assertTrue(e.getMessage().contains("must be"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void connectionBoundsAreSettingsWithDefaultsThatHoldEightThousandStreams() {
        assertEquals(Connections.DEFAULTS, load(Map.of()).connections());
        assertTrue(Connections.DEFAULTS.max() > 8_000 * 2, "room for the held-8k benchmark");
        assertEquals(new Connections(500, 0, Duration.ofSeconds(5)), load(Map.of(
                "SLUICE_MAX_CONNECTIONS", "500", "SLUICE_MIN_REQUEST_RATE", "0",
                "SLUICE_HEADER_TIMEOUT", "5s")).connections());
        assertEquals("20000", load(Map.of()).describe().get(
                "SLUICE_MAX_CONNECTIONS (-Dsluice.max-connections)"));
    }

    @Test
    void invalidValueFromFileNamesTheFile() throws IOException {
        Path path = file("sluice.port=abc\n");

        ConfigException e = refused(Map.of("SLUICE_CONFIG", path.toString()));

        assertTrue(e.getMessage().contains("SLUICE_PORT"), e.getMessage());
        assertTrue(e.getMessage().contains(path.toString()), e.getMessage());
    }

    @Test
    void unknownKeyInFileIsRefusedNamingFileAndKey() throws IOException {
        Path path = file("sluice.port=9000\nsluice.prot=9001\n");

        ConfigException e = refused(Map.of("SLUICE_CONFIG", path.toString()));

        assertTrue(e.getMessage().contains(path.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("sluice.prot"), e.getMessage());
    }

    @Test
    void missingFileIsRefusedNamingTheSettingAndPath() {
        Path path = dir.resolve("absent.properties");

        ConfigException e = refused(Map.of("SLUICE_CONFIG", path.toString()));

        assertTrue(e.getMessage().contains("SLUICE_CONFIG"), e.getMessage());
        assertTrue(e.getMessage().contains(path.toString()), e.getMessage());
    }

    @Test
    void apiKeyInFileIsRefusedWithoutRepeatingIt() throws IOException {
        Path path = file("sluice.port=9000\nopenai.api-key=" + KEY + "\n");

        ConfigException e = refused(Map.of("SLUICE_CONFIG", path.toString()));

        assertTrue(e.getMessage().contains(path.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("OPENAI_API_KEY"), e.getMessage());
        assertFalse(e.getMessage().contains(KEY), e.getMessage());
        assertFalse(e.getMessage().contains("0123456789abcdef"), e.getMessage());
    }

    @Test
    void apiKeyInFileIsRefusedEvenWhenEnvironmentAlsoSetsIt() throws IOException {
        Path path = file("openai.api-key=" + KEY + "\n");

        ConfigException e = refused(
                Map.of("SLUICE_CONFIG", path.toString(), "OPENAI_API_KEY", "other-key"));

        assertFalse(e.getMessage().contains(KEY), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"SLUICE_PORT=9000", "sluice.max_line_bytes=4096", "sluice-port=9000"})
    void fileKeyNotSpelledAsItsPropertyIsRefused(String line) throws IOException {
        Path path = file(line + "\n");

        ConfigException e = refused(Map.of("SLUICE_CONFIG", path.toString()));

        assertTrue(e.getMessage().contains(path.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(line.substring(0, line.indexOf('='))), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0s", "0ms", "0m"})
    void zeroConnectTimeoutIsRefused(String value) {
        ConfigException e = refused(Map.of("SLUICE_CONNECT_TIMEOUT", value));

        assertTrue(e.getMessage().contains("SLUICE_CONNECT_TIMEOUT"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://user:hunter2@h/v1", "https://h/v1?api-key=hunter2"})
    void refusedBaseUrlDoesNotRepeatCredentialsItCarries(String value) {
        ConfigException e = refused(Map.of("OPENAI_BASE_URL", value));

        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://user:se@cret42@h/v1", "http://user:se/cret42@h/v1",
        "http://user:se?cret42@h/v1", "https://user:se#cret42@h/v1", "user:se@cret42@h/v1",
        "http://user:se%40cret42@h/v1?api-key=cret42", "ftp://user:se:cret42@h/v1"})
    void refusedBaseUrlMasksAllOfAPasswordWhateverItHolds(String value) {
        ConfigException e = refused(Map.of("OPENAI_BASE_URL", value));

        assertFalse(e.getMessage().contains("cret42"), e.getMessage());
        assertFalse(e.getMessage().contains("user:se"), e.getMessage());
        assertTrue(e.getMessage().contains("***@h"), e.getMessage());
    }

    // Blank values

    @Test
    void blankValuesCountAsUnset() {
        Config config = load(Map.of("OPENAI_API_KEY", "  ", "OPENAI_BASE_URL", "",
                "SLUICE_PORT", " ", "SLUICE_CONFIG", "", "SLUICE_CONNECT_TIMEOUT", "\t"));

        assertTrue(config.simulated());
        assertTrue(config.route("openai").keys().isEmpty());
        assertEquals(8080, config.port());
        assertEquals(Duration.ofSeconds(10), config.timeouts().connect());
    }

    @Test
    void blankSystemPropertyDoesNotHideEnvironment() {
        Config config = load(Map.of("SLUICE_PORT", "9000", "OPENAI_API_KEY", KEY),
                props("sluice.port", "", "openai.api-key", " "));

        assertEquals(9000, config.port());
        assertEquals(KEY, config.route("openai").keys().getFirst().value());
    }

    @Test
    void blankEnvironmentDoesNotHideFile() throws IOException {
        Path path = file("sluice.port=7001\n");

        Config config = load(Map.of("SLUICE_CONFIG", path.toString(), "SLUICE_PORT", ""));

        assertEquals(7001, config.port());
    }

    // The key never leaks

    @Test
    void describeShowsKeyFingerprintNeverKey() {
        Config config = load(Map.of("OPENAI_API_KEY", KEY));

        Map<String, String> lines = config.describe();

        assertTrue(lines.get("route openai /v1").contains(new Secret(KEY).fingerprint()),
                lines.toString());
        assertFalse(lines.toString().contains(KEY), lines.toString());
    }

    @Test
    void describeSaysWhatIsTrueInAContainerAndWithoutAnAccessFile() {
        Map<String, String> embedded = load(Map.of()).describe();
        Map<String, String> war = load(Map.of()).describe(false);

        assertEquals("(none: only this machine may call; callers from other addresses, and "
                + "requests through a proxy not trusted, get 403)",
                embedded.get("SLUICE_ACCESS (-Dsluice.access)"));
        assertFalse(String.join(" ", embedded.values()).contains("listening"));
        assertEquals("127.0.0.1", embedded.get("SLUICE_HOST (-Dsluice.host)"));
        for (String setting : List.of("SLUICE_HOST (-Dsluice.host)", "SLUICE_PORT (-Dsluice.port)",
                "SLUICE_MAX_CONNECTIONS (-Dsluice.max-connections)",
                "SLUICE_HEADER_TIMEOUT (-Dsluice.header-timeout)")) {
            assertEquals("(not used: the servlet container's own settings apply)",
                    war.get(setting), setting);
        }
    }

    @Test
    void describeNamesEverySettingWithItsEffectiveValue() {
        Map<String, String> env = new HashMap<>();
        env.put("OPENAI_BASE_URL", "http://127.0.0.1:8081/v1");
        env.put("SLUICE_CONNECT_TIMEOUT", "2m");
        env.put("SLUICE_SIMULATED_TOKEN_DELAY", "250ms");

        Map<String, String> lines = load(env).describe();

        assertEquals("127.0.0.1", lines.get("SLUICE_HOST (-Dsluice.host)"));
        assertEquals("8080", lines.get("SLUICE_PORT (-Dsluice.port)"));
        assertEquals("openai-chat -> http://127.0.0.1:8081/v1, key (none); relays POST "
                + "/v1/chat/completions",
                lines.get("route openai /v1"));
        assertEquals("2m", lines.get("SLUICE_CONNECT_TIMEOUT (-Dsluice.connect-timeout)"));
        assertEquals("1048576", lines.get("SLUICE_MAX_LINE_BYTES (-Dsluice.max-line-bytes)"));
        assertEquals("1048576", lines.get("SLUICE_MAX_BODY_BYTES (-Dsluice.max-body-bytes)"));
        assertEquals("250ms",
                lines.get("SLUICE_SIMULATED_TOKEN_DELAY (-Dsluice.simulated-token-delay)"));
        assertEquals("gpt-4o-mini", lines.get("SLUICE_DEMO_MODEL (-Dsluice.demo-model)"));
    }

    @Test
    void describeSaysWhenUpstreamIsSimulated() {
        Map<String, String> lines = load(Map.of()).describe();

        assertEquals("openai-chat -> (simulated upstream), key (none); relays POST "
                + "/v1/chat/completions",
                lines.get("route openai /v1"));
        assertEquals("10s", lines.get("SLUICE_CONNECT_TIMEOUT (-Dsluice.connect-timeout)"));
        assertEquals("30ms",
                lines.get("SLUICE_SIMULATED_TOKEN_DELAY (-Dsluice.simulated-token-delay)"));
    }

    @Test
    void configToStringNeverContainsKey() {
        Config config = load(Map.of("OPENAI_API_KEY", KEY));

        assertFalse(config.toString().contains(KEY), config.toString());
        assertTrue(config.toString().contains(config.route("openai").keys().getFirst().fingerprint()),
                config.toString());
    }

    // Secret

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\t\n"})
    void secretRefusesBlank(String value) {
        assertThrows(IllegalArgumentException.class, () -> new Secret(value));
    }

    @Test
    void secretRefusesNull() {
        assertThrows(NullPointerException.class, () -> new Secret(null));
    }

    @Test
    void fingerprintIsFirstEightHexDigitsOfSha256() {
        // SHA-256("abc") = ba7816bf 8f01cfea ... (FIPS 180-2, appendix B.1)
        assertEquals("sha256:ba7816bf", new Secret("abc").fingerprint());
    }

    @Test
    void fingerprintIsStableAndTellsKeysApart() {
        String fingerprint = new Secret(KEY).fingerprint();

        assertTrue(fingerprint.matches("sha256:[0-9a-f]{8}"), fingerprint);
        assertEquals(fingerprint, new Secret(KEY).fingerprint());
        assertNotEquals(fingerprint, new Secret(KEY + "x").fingerprint());
    }

    @Test
    void secretToStringIsItsFingerprint() {
        Secret secret = new Secret(KEY);

        assertEquals(secret.fingerprint(), secret.toString());
        assertFalse(secret.toString().contains(KEY));
    }

    @Test
    void listeningBeyondLoopbackWithoutAuthenticationIsRefused() {
        ConfigException e = refused(Map.of("SLUICE_HOST", "0.0.0.0"));

        assertTrue(e.getMessage().contains("no client authentication is configured"),
                e.getMessage());
        assertEquals("::1", load(Map.of("SLUICE_HOST", "::1")).host());
        assertEquals("localhost", load(Map.of("SLUICE_HOST", "localhost")).host());
        assertTrue(refused(Map.of("SLUICE_HOST", "127.example.com")).getMessage()
                .contains("no client authentication is configured"));
    }

    @Test
    void theShippedSettingsFileLoadsAsIs() {
        Config config = load(Map.of("SLUICE_CONFIG", "etc/sluice.properties"));

        assertEquals(8080, config.port());
        assertEquals(Duration.ofSeconds(15), config.timeouts().heartbeat());
    }
}
