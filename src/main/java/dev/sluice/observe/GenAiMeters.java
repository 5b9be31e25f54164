package dev.sluice.observe;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each stream once more, under the OpenTelemetry GenAI semantic conventions' client metrics
 * (semantic conventions 1.41, in development there): tokens used, the operation's duration and
 * the time to its first chunk, with the provider, the operation and the requested model. Their
 * names are all here, so a rename in the conventions is an edit of this class alone.
 */
final class GenAiMeters {

    static final String TOKEN_USAGE = "gen_ai.client.token.usage";
    static final String DURATION = "gen_ai.client.operation.duration";
    static final String FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk";
    static final String PROVIDER = "gen_ai.provider.name";
    static final String OPERATION = "gen_ai.operation.name";
    static final String MODEL = "gen_ai.request.model";
    static final String TOKEN_TYPE = "gen_ai.token.type";
    static final String ERROR = "error.type";
    /** The conventions' explicit bucket boundaries for token counts. */
    private static final double[] TOKEN_BUCKETS = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536,
            262144, 1048576, 4194304, 16777216, 67108864};
    /** A client names the model: past this many per process, the rest count as one. */
    private static final int MOST_MODELS = 64;

    private final MeterRegistry registry;
    private final Set<String> models = ConcurrentHashMap.newKeySet();

    GenAiMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    void ended(Transcript t) {
        Tags tags = Tags.of(PROVIDER, provider(t.route().dialect()), OPERATION, "chat", MODEL,
                model(t.model()));
        Timer.builder(DURATION).description("GenAI operation duration")
                .tags(tags).tag(ERROR, t.outcome() == Transcript.Outcome.DONE ? ""
                        : t.outcome().name().toLowerCase(Locale.ROOT))
                .publishPercentileHistogram().register(registry)
                .record(Duration.ofMillis(t.durationMillis()));
        if (t.ttfbMillis() >= 0) {
            Timer.builder(FIRST_CHUNK).description("time to receive the first chunk")
                    .tags(tags).publishPercentileHistogram().register(registry)
                    .record(Duration.ofMillis(t.ttfbMillis()));
        }
        tokens(tags, "input", t.usage().input());
        tokens(tags, "output", t.usage().output());
    }

    private void tokens(Tags tags, String type, Long count) {
        if (count != null) {
            DistributionSummary.builder(TOKEN_USAGE).description("input and output tokens used")
                    .tags(tags).tag(TOKEN_TYPE, type).serviceLevelObjectives(TOKEN_BUCKETS)
                    .register(registry).record(count);
        }
    }

    /** The conventions' provider name for a route's dialect. */
    static String provider(String dialect) {
        return dialect.startsWith("openai-") ? "openai"
                : dialect.startsWith("anthropic-") ? "anthropic" : dialect;
    }

    private String model(String model) {
        if (model == null || model.isBlank()) {
            return "_OTHER";
        }
        if (models.contains(model) || models.size() < MOST_MODELS && models.add(model)) {
            return model;
        }
        return "_OTHER";
    }
}
