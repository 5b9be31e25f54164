package dev.sluice.config;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Where Sluice pushes its meters over OTLP/HTTP (protobuf), beside serving them on
 * {@code /metrics}: an OpenTelemetry Collector's {@code /v1/metrics}, or any receiver of it.
 *
 * @param url the receiver's full URL, e.g. {@code http://127.0.0.1:4318/v1/metrics}
 * @param step how often the meters are pushed, each push holding that step's changes
 */
public record Otlp(URI url, Duration step) {

    public Otlp {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(step, "step");
    }

    /** The URL without its query or user part, which may hold credentials, for the log. */
    @Override
    public String toString() {
        return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? ""
                : ":" + url.getPort()) + url.getRawPath() + " every " + Settings.format(step);
    }
}
