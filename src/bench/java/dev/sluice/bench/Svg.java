package dev.sluice.bench;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.Locale;

/**
 * A hand-written SVG chart: for each scenario, every relay's added latency per event by
 * percentile, on log scales, with direct's own latency as a dashed reference; each panel's
 * percentile axis ends where its events stop resolving percentiles.
 */
final class Svg {

    private static final int PANEL_WIDTH = 470;
    private static final int PANEL_HEIGHT = 300;
    private static final int LEFT = 60;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final int BOTTOM = 45;
    private static final double FLOOR_MS = 0.01;
    private static final String[] COLORS = {"#1f77b4", "#d95f02", "#1b9e77", "#7570b3",
        "#e7298a", "#66a61e", "#a6761d"};
    private static final String[] TICKS = {"p50", "p90", "p99", "p99.9", "p99.99", "p99.999"};
    /** The curve position of p50, where every axis starts. */
    private static final double X0 = 0.30103;

    private Svg() {}

    static String chart(Report.Lookup results, List<Scenario> scenarios, List<Target> targets) {
        List<String> relays = targets.stream().map(Target::name)
                .filter(name -> !name.equals("direct")).toList();
        int columns = Math.min(2, Math.max(1, scenarios.size()));
        int rows = (scenarios.size() + columns - 1) / columns;
        int width = 2 * PANEL_WIDTH; // the title and legend need it; one panel takes it all
        int panelWidth = width / columns;
        int height = rows * PANEL_HEIGHT + 60;
        StringBuilder svg = new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                        + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">%n"
                        + "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n"
                        + "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">Added "
                        + "latency per event over direct, by percentile (ms, log scale; %s ms "
                        + "and below on the floor)</text>%n",
                width, height, width, height, label(FLOOR_MS)));
        legend(svg, relays, 10, 38);
        for (int i = 0; i < scenarios.size(); i++) {
            panel(svg, results, scenarios.get(i), relays, (i % columns) * panelWidth,
                    60 + (i / columns) * PANEL_HEIGHT, panelWidth);
        }
        return svg.append("</svg>\n").toString();
    }

    private static void legend(StringBuilder svg, List<String> relays, int x, int y) {
        for (int i = 0; i < relays.size(); i++) {
            line(svg, x, y, x + 24, y, COLORS[(i + 1) % COLORS.length], "");
            text(svg, x + 30, y + 4, relays.get(i) + " (added)", "start");
            x += 150;
        }
        line(svg, x, y, x + 24, y, "#888", " stroke-dasharray=\"4 3\"");
        text(svg, x + 30, y + 4, "direct (its own latency)", "start");
    }

    private static void panel(StringBuilder svg, Report.Lookup results, Scenario scenario,
            List<String> relays, int x0, int y0, int panelWidth) {
        Result direct = results.find(scenario.name(), "direct");
        if (direct == null) {
            return;
        }
        double top = FLOOR_MS;
        for (double value : direct.run().latency().curve()) {
            top = Math.max(top, value);
        }
        for (String relay : relays) {
            Result result = results.find(scenario.name(), relay);
            if (result != null) {
                for (double value : results.added(result).curve()) {
                    top = Math.max(top, value);
                }
            }
        }
        double decades = Math.max(1, Math.ceil(Math.log10(top / FLOOR_MS)));
        Stats base = direct.run().latency();
        // The axis ends at the highest percentile any curve resolves, at least p90.
        double end = 1;
        for (String relay : relays) {
            Result result = results.find(scenario.name(), relay);
            if (result != null) {
                end = Math.max(end, Math.min(base.resolvedX(),
                        result.run().latency().resolvedX()));
            }
        }
        end = Math.max(end, base.resolvedX());
        end = Math.min(end, Stats.CURVE_X[Stats.CURVE_X.length - 1]);
        int plotWidth = panelWidth - LEFT - RIGHT;
        int plotHeight = PANEL_HEIGHT - TOP - BOTTOM;
        int left = x0 + LEFT;
        int bottom = y0 + TOP + plotHeight;
        text(svg, left, y0 + TOP - 12, scenario.name() + ": " + scenario.streams() + " x "
                + scenario.events() + " events, " + scenario.gapMs() + " ms apart", "start");
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\""
                + " fill=\"none\" stroke=\"#ccc\"/>%n", left, y0 + TOP, plotWidth, plotHeight));
        for (int d = 0; d <= decades; d++) {
            double y = bottom - d * plotHeight / decades;
            line(svg, left, y, left + plotWidth, y, "#eee", "");
            text(svg, left - 4, y + 4, label(FLOOR_MS * Math.pow(10, d)), "end");
        }
        double last = X0;
        for (int t = 0; t < TICKS.length && (t == 0 ? X0 : t) <= end + 1e-9; t++) {
            last = t == 0 ? X0 : t;
            tick(svg, left + (last - X0) / (end - X0) * plotWidth, y0 + TOP, bottom, TICKS[t]);
        }
        if (end - last > 0.15) {
            tick(svg, left + plotWidth, y0 + TOP, bottom, percentileName(end));
        }
        text(svg, left + plotWidth / 2.0, bottom + 32, "percentile of events", "middle");
        curve(svg, base.curve(), base.resolvedX(), "#888", " stroke-dasharray=\"4 3\"",
                left, bottom, plotWidth, plotHeight, decades, end);
        for (int i = 0; i < relays.size(); i++) {
            Result result = results.find(scenario.name(), relays.get(i));
            if (result != null) {
                double resolved = Math.min(base.resolvedX(), result.run().latency().resolvedX());
                curve(svg, results.added(result).curve(), resolved, COLORS[(i + 1) % COLORS.length],
                        "", left, bottom, plotWidth, plotHeight, decades, end);
            }
        }
    }

    private static void tick(StringBuilder svg, double x, double top, double bottom,
            String label) {
        line(svg, x, top, x, bottom, "#eee", "");
        text(svg, x, bottom + 14, label, "middle");
    }

    /** The percentile at a curve position, e.g. p99.5 at log10(200). */
    private static String percentileName(double x) {
        return "p" + BigDecimal.valueOf(100 * (1 - Math.pow(10, -x)))
                .round(new MathContext((int) Math.floor(x) + 2)).stripTrailingZeros()
                .toPlainString();
    }

    private static void curve(StringBuilder svg, double[] values, double resolvedX, String color,
            String style, int left, int bottom, int width, int height, double decades,
            double end) {
        StringBuilder points = new StringBuilder();
        for (int i = 0; i < values.length && Stats.CURVE_X[i] <= resolvedX + 1e-9; i++) {
            double x = left + (Stats.CURVE_X[i] - X0) / (end - X0) * width;
            double decade = Math.log10(Math.max(values[i], FLOOR_MS) / FLOOR_MS);
            double y = bottom - decade / decades * height;
            points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        svg.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" "
                        + "stroke-width=\"2\"%s points=\"%s\"/>%n", color, style,
                points.toString().trim()));
    }

    /** A power of ten as people write it: 0.01, 0.1, 1, 10, 100. */
    private static String label(double value) {
        return BigDecimal.valueOf(value).round(new MathContext(1))
                .stripTrailingZeros().toPlainString();
    }

    private static void line(StringBuilder svg, double x1, double y1, double x2, double y2,
            String color, String style) {
        svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                + "y2=\"%.1f\" stroke=\"%s\"%s/>%n", x1, y1, x2, y2, color, style));
    }

    private static void text(StringBuilder svg, double x, double y, String text, String anchor) {
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">"
                + "%s</text>%n", x, y, anchor, text.replace("&", "&amp;").replace("<", "&lt;")));
    }
}
