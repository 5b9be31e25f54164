package dev.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the route table: {@code route.NAME.SETTING = value} lines of a properties file, each
 * scalar setting overridable as {@code -Dsluice.route.NAME.SETTING} or
 * {@code SLUICE_ROUTE_NAME_SETTING}. Secrets are never in the file: a route names the
 * environment variable that holds its key ({@code key-env}).
 */
final class Routes {

    /** The route table shipped inside Sluice, used unless SLUICE_ROUTES names another file. */
    static final String BUILT_IN = "/sluice/routes.properties";

    private static final Set<String> SCALARS = Set.of("prefix", "dialect", "url", "url-env",
            "key-env", "fallback", "enabled", "models", "max-tokens", "on-client-close",
            "operations", "resumable", "fallbacks", "key-header", "exposed",
            "max-concurrent");
    private static final Set<String> MAPS = Set.of("force", "default", "query", "header",
            "model");
    private static final Set<String> SECRET_HEADERS = Set.of("authorization", "x-api-key",
            "api-key", "cookie", "proxy-authorization");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Properties file;
    private final String source;
    private final Map<String, String> env;
    private final Properties system;
    private final SettingNames settingNames;
    private final Map<String, String> secrets;

    private Routes(Properties file, String source, Map<String, String> env, Properties system,
            SettingNames names, Map<String, String> secrets) {
        this.file = file;
        this.source = source;
        this.env = env;
        this.system = system;
        this.settingNames = names;
        this.secrets = secrets;
    }

    /**
     * The routes of {@code path}, or of the built-in table when it is null; every name a route
     * may be set by, and every variable a route names, is added to {@code names}. A variable
     * that {@code key-env} or {@code url-env} names is taken from {@code secrets} first.
     */
    static List<Route> load(String path, Map<String, String> env, Properties system,
            SettingNames names, Map<String, String> secrets) {
        String source = path == null ? "built-in routes" : path;
        Properties file = PropertiesFile.read("SLUICE_ROUTES (-Dsluice.routes)", source,
                () -> new InputStreamReader(path == null
                        ? Routes.class.getResourceAsStream(BUILT_IN)
                        : Files.newInputStream(Path.of(path)), StandardCharsets.UTF_8));
        return new Routes(file, source, env, system, names, secrets).all();
    }

    private List<Route> all() {
        Set<String> names = new TreeSet<>();
        for (String key : file.stringPropertyNames()) {
            String[] parts = key.split("\\.", 4);
            if (parts.length < 3 || !parts[0].equals("route")) {
                throw fail(key, "is not a route setting (route.NAME.SETTING)");
            }
            boolean map = MAPS.contains(parts[2]) && parts.length == 4;
            if (!map && (parts.length != 3 || !SCALARS.contains(parts[2]))) {
                throw fail(key, "is not a route setting; known: " + String.join(", ",
                        new TreeSet<>(SCALARS)) + ", and force.FIELD, default.FIELD, "
                        + "query.NAME, header.NAME, model.NAME");
            }
            names.add(parts[1]);
            if (map) {
                settingNames.property("sluice." + key);
            }
        }
        for (String name : names) {
            for (String setting : SCALARS) {
                settingNames.variable(variable(name, setting));
                settingNames.property(property(name, setting));
            }
            for (String named : new String[] {value(name, "key-env", null),
                    value(name, "url-env", null)}) {
                if (named != null) {
                    settingNames.setting(named);
                }
            }
        }
        List<Route> routes = new ArrayList<>();
        Set<String> prefixes = new LinkedHashSet<>();
        for (String name : names) {
            if (!Boolean.parseBoolean(value(name, "enabled", "true"))) {
                continue;
            }
            Route route = route(name);
            if (route.serving().exposed() && !prefixes.add(route.prefix())) {
                throw fail("route." + name + ".prefix", "is used by another route");
            }
            routes.add(route);
        }
        if (routes.stream().noneMatch(route -> route.serving().exposed())) {
            throw new ConfigException(source + ": no route is enabled and exposed");
        }
        for (Route route : routes) {
            try {
                chain(route, routes);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(source + ": " + e.getMessage());
            }
        }
        return List.copyOf(routes);
    }

    /**
     * The routes a request to {@code first} may be served by, in order: itself, then each of
     * its fallbacks followed by that one's own. Refused: a name that is no enabled route, a
     * loop, and a dialect other than the first's (its clients read one shape of stream).
     */
    static List<Route> chain(Route first, List<Route> routes) {
        List<Route> chain = new ArrayList<>();
        walk(first, first, routes, chain, new ArrayList<>());
        return List.copyOf(chain);
    }

    private static void walk(Route first, Route route, List<Route> routes, List<Route> chain,
            List<String> path) {
        path.add(route.name());
        chain.add(route);
        for (String name : route.serving().fallbacks()) {
            Route next = routes.stream().filter(r -> r.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("route." + route.name()
                            + ".fallbacks names '" + name + "', which is no enabled route"));
            if (path.contains(name) || chain.contains(next)) {
                throw new IllegalArgumentException("route." + route.name() + ".fallbacks makes "
                        + "a loop: " + String.join(" -> ", path) + " -> " + name);
            }
            if (!next.dialect().equals(first.dialect())) {
                throw new IllegalArgumentException("route." + route.name() + ".fallbacks names "
                        + name + ", which speaks " + next.dialect() + ": every route of "
                        + first.name() + "'s chain must speak " + first.dialect());
            }
            walk(first, next, routes, chain, path);
        }
        path.removeLast();
    }

    private Route route(String name) {
        String keyEnv = value(name, "key-env", null);
        String urlEnv = value(name, "url-env", null);
        String key = keyEnv == null ? null : outside(keyEnv);
        String url = urlEnv == null ? null : outside(urlEnv);
        String explicit = blankless(system.getProperty(property(name, "url")));
        if (explicit == null) {
            explicit = blankless(env.get(variable(name, "url")));
        }
        String fromFile = blankless(file.getProperty("route." + name + ".url"));
        URI upstream;
        String missingKey = null;
        if (explicit != null) {
            upstream = url(name, explicit, Settings.describe(variable(name, "url")));
        } else if (url != null) {
            upstream = url(name, url, Settings.describe(urlEnv));
        } else if (key == null && "simulated".equals(value(name, "fallback", null))) {
            upstream = null; // nothing configured: the built-in simulated upstream answers
        } else if (fromFile != null) {
            upstream = url(name, fromFile, source + ": route." + name + ".url");
            // The file's URL is the provider's own, which refuses a keyless call; a URL chosen
            // through url-env or an override may be a local server that needs no key.
            missingKey = key == null ? keyEnv : null;
        } else {
            throw fail("route." + name + ".url", "is required");
        }
        String exposed = value(name, "exposed", "true");
        if (!exposed.equals("true") && !exposed.equals("false")) {
            throw fail("route." + name + ".exposed", "must be true or false, got '" + exposed
                    + "'");
        }
        String prefix = value(name, "prefix", null);
        if (prefix == null && exposed.equals("true")) {
            throw fail("route." + name + ".prefix", "is required (or set route." + name
                    + ".exposed = false for a route that serves only as a fallback)");
        }
        String onClose = value(name, "on-client-close", "cancel");
        if (!onClose.equals("cancel") && !onClose.equals("drain")) {
            throw fail("route." + name + ".on-client-close", "must be cancel or drain, got '"
                    + onClose + "'");
        }
        String dialect = value(name, "dialect", "openai-chat");
        String concurrent = value(name, "max-concurrent", "0");
        int maxConcurrent;
        try {
            maxConcurrent = Integer.parseInt(concurrent);
        } catch (NumberFormatException e) {
            maxConcurrent = -1;
        }
        if (maxConcurrent < 0) {
            throw fail("route." + name + ".max-concurrent", "must be a whole number, 0 for no "
                    + "bound, got '" + concurrent + "'");
        }
        String resumable = value(name, "resumable", "false");
        if (!resumable.equals("true") && !resumable.equals("false")) {
            throw fail("route." + name + ".resumable", "must be true or false, got '"
                    + resumable + "'");
        }
        try {
            return new Route(name, prefix == null ? "/" + name : prefix, upstream, dialect,
                    pool(keyEnv, key), policy(name), onClose.equals("drain"),
                    operations(name, dialect), missingKey, resumable.equals("true"),
                    new Serving(value(name, "key-header", null), strings(name, "model"),
                            list(value(name, "fallbacks", "")), exposed.equals("true"),
                            maxConcurrent));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": route " + name + ": " + e.getMessage());
        }
    }

    /**
     * The keys {@code variable} holds, separated by commas (a pool); none when it is unset. The
     * message of a refused value says where in the list it went wrong, never a key.
     */
    private static List<Secret> pool(String variable, String value) {
        if (value == null) {
            return List.of();
        }
        String[] items = value.split(",", -1);
        List<Secret> keys = new ArrayList<>(items.length);
        for (int i = 0; i < items.length; i++) {
            String item = items[i].strip();
            if (item.isEmpty()) {
                throw new ConfigException(Settings.describe(variable) + " has an empty key at "
                        + "position " + (i + 1) + " of " + items.length + ": separate the keys "
                        + "of a pool with single commas");
            }
            Secret key = new Secret(item);
            int earlier = keys.indexOf(key);
            if (earlier >= 0) {
                throw new ConfigException(Settings.describe(variable) + " has the same key at "
                        + "positions " + (earlier + 1) + " and " + (i + 1) + " (" + key + ")");
            }
            keys.add(key);
        }
        return List.copyOf(keys);
    }

    /** The route's operations as listed, else its dialect's; each checked, none twice. */
    private List<Operation> operations(String name, String dialect) {
        String key = "route." + name + ".operations";
        String listed = value(name, "operations", null);
        if (listed == null) {
            if (Operation.defaults(dialect).isEmpty() && Route.DIALECTS.contains(dialect)) {
                throw fail(key, "is required for dialect " + dialect + ", which has no default: "
                        + "name the requests the route relays, e.g. POST /stream");
            }
            return Operation.defaults(dialect);
        }
        Set<Operation> operations = new LinkedHashSet<>();
        for (String item : listed.split(",")) {
            try {
                if (!operations.add(Operation.parse(item))) {
                    throw fail(key, "lists '" + item.strip() + "' twice");
                }
            } catch (IllegalArgumentException e) {
                throw fail(key, e.getMessage());
            }
        }
        return List.copyOf(operations);
    }

    private Policy policy(String name) {
        String models = value(name, "models", "");
        String cap = value(name, "max-tokens", null);
        Integer maxTokens = null;
        if (cap != null) {
            try {
                maxTokens = Integer.valueOf(cap);
            } catch (NumberFormatException e) {
                throw fail("route." + name + ".max-tokens", "must be a whole number, got '"
                        + cap + "'");
            }
        }
        Map<String, String> headers = strings(name, "header");
        for (String header : headers.keySet()) {
            if (SECRET_HEADERS.contains(header.toLowerCase(Locale.ROOT))) {
                throw fail("route." + name + ".header." + header, "would put a secret in the "
                        + "file; name its environment variable in route." + name + ".key-env");
            }
        }
        try {
            return new Policy(
                    new LinkedHashSet<>(Arrays.stream(models.split(",")).map(String::strip)
                            .filter(m -> !m.isEmpty()).toList()),
                    maxTokens, json(name, "force"), json(name, "default"),
                    strings(name, "query"), headers);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": route " + name + ": " + e.getMessage());
        }
    }

    private static List<String> list(String items) {
        return Arrays.stream(items.split(",")).map(String::strip).filter(i -> !i.isEmpty())
                .toList();
    }

    private Map<String, String> strings(String name, String map) {
        Map<String, String> values = new LinkedHashMap<>();
        String head = "route." + name + "." + map + ".";
        for (String key : new TreeSet<>(file.stringPropertyNames())) {
            if (key.startsWith(head)) {
                String field = key.substring(head.length());
                String sys = system.getProperty("sluice." + key);
                values.put(field, (sys != null ? sys : file.getProperty(key)).strip());
            }
        }
        return values;
    }

    private Map<String, JsonNode> json(String name, String map) {
        Map<String, JsonNode> values = new LinkedHashMap<>();
        for (Map.Entry<String, String> field : strings(name, map).entrySet()) {
            try {
                values.put(field.getKey(), JSON.readTree(field.getValue()));
            } catch (IOException e) {
                throw fail("route." + name + "." + map + "." + field.getKey(),
                        "must be a JSON value (a string needs quotes), got " + field.getValue());
            }
        }
        return values;
    }

    /** A scalar setting's value from -D, the environment or the file, else {@code fallback}. */
    private String value(String name, String setting, String fallback) {
        String value = scalar(name, setting);
        return value == null ? fallback : value;
    }

    private String scalar(String name, String setting) {
        String fromFile = file.getProperty("route." + name + "." + setting);
        for (String value : new String[] {system.getProperty(property(name, setting)),
                env.get(variable(name, setting)), fromFile}) {
            if (blankless(value) != null) {
                return value.strip();
            }
        }
        return null;
    }

    /** A value named by url-env or key-env: its -D property (derived) or the variable itself. */
    private String outside(String variable) {
        String value = blankless(secrets.get(variable)); // SLUICE_KEYS_FILE's, read on reload
        if (value == null) {
            value = blankless(system.getProperty(Settings.propertyOf(variable)));
        }
        return value != null ? value : blankless(env.get(variable));
    }

    private URI url(String name, String value, String where) {
        try {
            URI uri = new URI(value);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                    && uri.getHost() != null && uri.getRawQuery() == null
                    && uri.getRawFragment() == null && uri.getRawUserInfo() == null) {
                return URI.create(value.replaceAll("/+$", ""));
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw new ConfigException(where + " must be an http:// or https:// URL without user, "
                + "query or fragment, got '" + masked(value) + "' (route " + name + ")");
    }

    /**
     * A refused URL as it may be printed: it may carry a password or a key, so all before its
     * last {@code @} (after the scheme) and all from a {@code ?} or {@code #} on are masked. A
     * password may hold {@code @}, {@code /}, {@code ?} or {@code #} itself; masking too much is
     * the safe side.
     */
    static String masked(String url) {
        int at = url.lastIndexOf('@');
        String shown = url;
        if (at >= 0) {
            int slashes = url.indexOf("//");
            int start = slashes >= 0 && slashes < at ? slashes + 2 : 0;
            shown = url.substring(0, start) + "***" + url.substring(at);
        }
        return shown.replaceAll("[?#].*", "?***");
    }

    private static String property(String name, String setting) {
        return "sluice.route." + name + "." + setting;
    }

    static String variable(String name, String setting) {
        return ("SLUICE_ROUTE_" + name + "_" + setting).replace('-', '_').replace('.', '_')
                .toUpperCase(Locale.ROOT);
    }

    private static String blankless(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    private ConfigException fail(String key, String what) {
        return new ConfigException(source + ": " + key + " " + what);
    }
}
