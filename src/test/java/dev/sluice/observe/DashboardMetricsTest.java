package dev.sluice.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Policy;
import dev.sluice.config.Retries;
import dev.sluice.config.Route;
import dev.sluice.config.Secret;
import dev.sluice.config.Serving;
import dev.sluice.config.Sharing;
import dev.sluice.testing.DeadUpstream;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RedisServer;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard and the Prometheus alert rules in {@code etc/} name only metrics that a
 * live Sluice exports, after a few streams of each kind (so a renamed metric fails the build),
 * and Prometheus's own {@code promtool} accepts the rules where it is installed.
 */
class DashboardMetricsTest {

    private static final Path DASHBOARD = Path.of("etc/grafana/sluice-dashboard.json");
    private static final Path ALERTS = Path.of("etc/prometheus/sluice-alerts.yml");
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    private static final Pattern METRIC = Pattern.compile("\\b((?:sluice|jvm|process)_[a-z_]+)");
    private static final String CHAT = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String ANSWER = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}"
            + "\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
            + "\"completion_tokens\":1}}\n\ndata: [DONE]\n\n";

    @Test
    void everyMetricTheDashboardAndTheAlertsNameIsExported() throws Exception {
        RedisServer.requireInstalled();
        Set<String> exported = exportedAfterAFewStreams();
        Set<String> named = new TreeSet<>(named(dashboardExpressions()));
        named.addAll(named(Files.readString(ALERTS)));
        assertTrue(named.size() > 15, named::toString);
        Set<String> missing = new TreeSet<>(named);
        missing.removeAll(exported);
        assertEquals(Set.of(), missing, "named in etc/ but not in /metrics");
    }

    @Test
    void promtoolAcceptsTheAlertRules() throws Exception {
        assumeTrue(Files.isExecutable(PROMTOOL), "promtool is not installed (apt-get install "
                + "prometheus)");
        Process check = new ProcessBuilder(PROMTOOL.toString(), "check", "rules",
                ALERTS.toString()).redirectErrorStream(true).start();
        String said = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(check.waitFor(60, TimeUnit.SECONDS), "promtool did not end");
        assertEquals(0, check.exitValue(), said);
        assertTrue(said.contains("SUCCESS"), said);
    }

    /** Every expression of every panel and template variable of the dashboard. */
    private static String dashboardExpressions() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        StringBuilder all = new StringBuilder();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                all.append(target.path("expr").asText()).append('\n');
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            all.append(variable.path("definition").asText()).append('\n');
        }
        return all.toString();
    }

    private static Set<String> named(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /**
     * Sluice with a key, a fallback route, Redis and a resumable stream, after a stream retried
     * once, one whose client leaves, one refused, one resumed and one that fell back.
     */
    private static Set<String> exportedAfterAFewStreams() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (RedisServer redis = RedisServer.start();
                DeadUpstream dead = new DeadUpstream();
                FakeUpstream upstream = new FakeUpstream(exchange -> {
                    if (calls.incrementAndGet() == 1) {
                        exchange.respond(503, "application/json", "{\"error\":{}}",
                                "Retry-After", "0");
                    } else if (exchange.request().bodyText().contains("\"leave\"")) {
                        // Events until the relay, writing one, finds its client gone and
                        // closes this connection (bounded: 10 s at most).
                        exchange.startStream();
                        for (int n = 0; n < 500 && !exchange.awaitPeerClosed(20,
                                TimeUnit.MILLISECONDS); n++) {
                            exchange.write("data: {\"n\":" + n + "}\n\n");
                        }
                    } else {
                        exchange.startStream().write(ANSWER).end();
                    }
                });
                TestClient client = new TestClient()) {
            Route primary = new Route("primary", "/primary", dead.baseUrl(), "openai-chat",
                    new Secret(RunningSluice.KEY), Policy.NONE).serving(new Serving(null,
                            Map.of(), List.of("openai"), true));
            try (RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(
                    upstream.baseUrl(), new Secret(RunningSluice.KEY)).route(primary)
                    .retries(new Retries(1, Duration.ofMillis(1), Duration.ofSeconds(1)))
                    .sharing(new Sharing("127.0.0.1", redis.port(), false, 0, null, null,
                            "sluice:", Duration.ofMillis(250), Duration.ofSeconds(30), true,
                            false))
                    .build())) {
                var chat = sluice.uri("/v1/chat/completions");
                client.stream(chat, CHAT).rest(); // 503, retried, then the answer
                TestClient.Stream leaving = client.stream(chat,
                        "{\"model\":\"leave\",\"stream\":true,\"messages\":[]}");
                leaving.nextEvent();
                leaving.abort();
                client.post(chat, "{not json");
                client.stream(sluice.uri("/primary/chat/completions"), CHAT).rest();
                TestClient.Stream resumable = client.stream(chat, CHAT, "X-Sluice-Resumable",
                        "true");
                String id = resumable.response().getHeaders().get("X-Sluice-Stream-Id");
                resumable.rest();
                client.streamGet(sluice.uri("/v1/streams/" + id), "Last-Event-ID", id + ":0")
                        .rest();
                sluice.assertNoStreamLeftOpen();
                String metrics = client.get(sluice.uri("/metrics")).getContentAsString();
                Set<String> names = new TreeSet<>();
                for (String line : metrics.split("\n")) {
                    if (!line.startsWith("#") && !line.isBlank()) {
                        names.add(line.split("[{ ]", 2)[0]);
                    }
                }
                return names;
            }
        }
    }
}
