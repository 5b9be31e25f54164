package dev.sluice.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.sluice.config.Otlp;
import dev.sluice.config.Secret;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * With SLUICE_OTLP_URL set, the meters reach an OTLP/HTTP receiver (here one on loopback that
 * decodes what arrives), the stream meters among them under the OpenTelemetry GenAI names and
 * attributes as well, and no key in any of it.
 */
class OtlpExportTest {

    private static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"stream\":true,"
            + "\"messages\":[]}";
    private static final String ANSWER = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}"
            + "\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
            + "\"completion_tokens\":7}}\n\ndata: [DONE]\n\n";

    @Test
    void theMetersArriveOverOtlpWithTheGenAiNames() throws Exception {
        BlockingQueue<byte[]> pushes = new LinkedBlockingQueue<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress(
                InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/v1/metrics", exchange -> {
            pushes.add(exchange.getRequestBody().readAllBytes());
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        try (FakeUpstream upstream = new FakeUpstream(exchange -> exchange.startStream()
                        .write(ANSWER).end());
                TestClient client = new TestClient()) {
            URI url = URI.create("http://127.0.0.1:" + receiver.getAddress().getPort()
                    + "/v1/metrics");
            try (RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(
                    upstream.baseUrl(), new Secret(RunningSluice.KEY))
                    .otlp(new Otlp(url, Duration.ofSeconds(1))).build())) {
                client.stream(sluice.uri("/v1/chat/completions"), CHAT).rest();
                Map<String, Metric> metrics = awaitMetric(pushes, GenAiMeters.TOKEN_USAGE);

                assertTrue(metrics.containsKey("sluice.streams"), metrics.keySet()::toString);
                assertTrue(metrics.containsKey(GenAiMeters.DURATION), metrics.keySet()::toString);
                assertTrue(metrics.containsKey(GenAiMeters.FIRST_CHUNK),
                        metrics.keySet()::toString);
                var points = metrics.get(GenAiMeters.TOKEN_USAGE).getHistogram()
                        .getDataPointsList();
                var output = points.stream().filter(p -> attribute(p.getAttributesList(),
                        GenAiMeters.TOKEN_TYPE).equals("output")).findFirst().orElseThrow();
                assertEquals(7.0, output.getSum());
                assertEquals("openai", attribute(output.getAttributesList(),
                        GenAiMeters.PROVIDER));
                assertEquals("gpt-4o-mini", attribute(output.getAttributesList(),
                        GenAiMeters.MODEL));
                assertEquals("chat", attribute(output.getAttributesList(),
                        GenAiMeters.OPERATION));
            }
            for (byte[] push : pushes) {
                assertFalse(new String(push, StandardCharsets.ISO_8859_1)
                        .contains(RunningSluice.KEY));
            }
        } finally {
            receiver.stop(0);
        }
    }

    /** The metrics of the first push that holds {@code name}, by name; 30 s at most. */
    private static Map<String, Metric> awaitMetric(BlockingQueue<byte[]> pushes, String name)
            throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end) {
            byte[] push = pushes.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (push == null) {
                break;
            }
            Map<String, Metric> metrics = ExportMetricsServiceRequest.parseFrom(push)
                    .getResourceMetricsList().stream()
                    .map(ResourceMetrics::getScopeMetricsList).flatMap(List::stream)
                    .map(ScopeMetrics::getMetricsList).flatMap(List::stream)
                    .collect(Collectors.toMap(Metric::getName, m -> m, (a, b) -> a));
            if (metrics.containsKey(name)) {
                pushes.add(push); // kept for the look for keys
                return metrics;
            }
        }
        throw new AssertionError("no push with " + name + " within 30 s");
    }

    private static String attribute(List<KeyValue> attributes, String key) {
        return attributes.stream().filter(a -> a.getKey().equals(key)).findFirst()
                .map(a -> a.getValue().getStringValue()).orElse("");
    }
}
