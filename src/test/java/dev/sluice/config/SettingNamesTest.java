package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A setting Sluice does not know, from the environment or -D, stops start-up and says so. */
class SettingNamesTest {

    @TempDir
    Path dir;

    private static Config load(Map<String, String> env, Properties system) {
        return Config.load(env, system);
    }

    private static String refusal(Map<String, String> env, Properties system) {
        return assertThrows(ConfigException.class, () -> load(env, system)).getMessage();
    }

    @Test
    void aMisspeltVariableIsRefusedWithTheClosestName() {
        assertEquals("the environment variable SLUICE_HEARTBEET is not a setting of Sluice; did "
                + "you mean SLUICE_HEARTBEAT? (the README lists every setting; unset it to start)",
                refusal(Map.of("SLUICE_HEARTBEET", "5s"), new Properties()));
    }

    @Test
    void aMisspeltPropertyIsRefusedWithTheClosestName() {
        Properties system = new Properties();
        system.setProperty("sluice.max-line-byte", "4096");
        assertEquals("-Dsluice.max-line-byte is not a setting of Sluice; did you mean "
                + "-Dsluice.max-line-bytes? (the README lists every setting; unset it to start)",
                refusal(Map.of(), system));
    }

    @Test
    void aNameFarFromEveryKnownOneGetsNoGuess() {
        assertEquals("the environment variable SLUICE_SOMETHING_ELSE_ENTIRELY is not a setting "
                + "of Sluice (the README lists every setting; unset it to start)",
                refusal(Map.of("SLUICE_SOMETHING_ELSE_ENTIRELY", "1"), new Properties()));
    }

    @Test
    void aRouteSettingOfAnUnknownRouteIsRefused() {
        assertEquals("the environment variable SLUICE_ROUTE_OPENIA_URL is not a setting of "
                + "Sluice; did you mean SLUICE_ROUTE_OPENAI_URL? (the README lists every "
                + "setting; unset it to start)",
                refusal(Map.of("SLUICE_ROUTE_OPENIA_URL", "http://127.0.0.1:1/v1"),
                        new Properties()));
    }

    @Test
    void everyKnownNameStarts() throws IOException {
        Path routes = dir.resolve("routes.properties");
        Files.writeString(routes, """
                route.local.prefix = /local
                route.local.dialect = openai-chat
                route.local.url = http://127.0.0.1:1/v1
                route.local.key-env = SLUICE_LOCAL_KEY
                route.local.header.x-team = blue
                route.spare.enabled = false
                route.spare.prefix = /spare
                route.spare.dialect = openai-chat
                route.spare.url = http://127.0.0.1:2/v1
                """);
        Properties system = new Properties();
        system.setProperty("sluice.route.local.header.x-team", "red");
        system.setProperty("sluice.start-only", "false");
        system.setProperty("sluice.heartbeat", "5s");
        Config config = load(Map.of("SLUICE_ROUTES", routes.toString(),
                "SLUICE_LOCAL_KEY", "sk-local-not-a-key", "SLUICE_ROUTE_SPARE_URL",
                "http://127.0.0.1:3/v1", "SLUICE_LOG_FORMAT", "text", "SLUICE_QUEUE_WAIT", "5s",
                "NOT_SLUICE_AT_ALL", "x"), system);
        assertEquals(1, config.routes().size());
    }
}
