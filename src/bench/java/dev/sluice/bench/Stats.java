package dev.sluice.bench;

import java.util.Arrays;

/**
 * A latency distribution in milliseconds: its main percentiles, and a curve of its values at the
 * fixed quantiles {@link #CURVE_X} for charts and for subtracting one target from another.
 */
record Stats(int count, double p50, double p99, double p999, double max, double[] curve) {

    /** Curve positions as {@code -log10(1 - q)}: 0.3 is p50, 1 is p90, 2 is p99, 5 is p99.999. */
    static final double[] CURVE_X = curveX();

    static final Stats EMPTY = new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
            new double[CURVE_X.length]);
    /** A distribution that was not measured, such as one added over a direct run that died. */
    static final Stats UNKNOWN = new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
            unknownCurve());

    static Stats of(int[] sortedMicros, int size) {
        if (size == 0) {
            return EMPTY;
        }
        double[] curve = new double[CURVE_X.length];
        for (int i = 0; i < curve.length; i++) {
            curve[i] = at(sortedMicros, size, 1 - Math.pow(10, -CURVE_X[i]));
        }
        return new Stats(size, at(sortedMicros, size, 0.5), at(sortedMicros, size, 0.99),
                at(sortedMicros, size, 0.999), sortedMicros[size - 1] / 1_000.0, curve);
    }

    /** This distribution less {@code base}, percentile by percentile. */
    Stats minus(Stats base) {
        double[] added = new double[curve.length];
        for (int i = 0; i < added.length; i++) {
            added[i] = curve[i] - base.curve[i];
        }
        return new Stats(count, p50 - base.p50, p99 - base.p99, p999 - base.p999, max - base.max,
                added);
    }

    /** The highest curve position this many samples can tell apart from the maximum. */
    double resolvedX() {
        return count < 2 ? 0 : Math.log10(count);
    }

    /** The nearest-rank percentile, in milliseconds. */
    private static double at(int[] sorted, int size, double quantile) {
        int rank = (int) Math.ceil(quantile * size);
        return sorted[Math.max(0, Math.min(size - 1, rank - 1))] / 1_000.0;
    }

    private static double[] unknownCurve() {
        double[] curve = new double[CURVE_X.length];
        Arrays.fill(curve, Double.NaN);
        return curve;
    }

    private static double[] curveX() {
        double[] x = new double[95];
        for (int i = 0; i < x.length; i++) {
            x[i] = 0.30103 + i * (5 - 0.30103) / (x.length - 1);
        }
        return x;
    }
}
