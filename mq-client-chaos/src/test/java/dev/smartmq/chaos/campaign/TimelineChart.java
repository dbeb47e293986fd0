package dev.smartmq.chaos.campaign;

import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import java.awt.BasicStroke;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYStepRenderer;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The timeline picture of a campaign (PNG, drawn by JFreeChart): on one time axis (seconds from the start of the
 * faulted phase), the faults as bars per kind, the switch state (MANUAL drawn apart), acknowledged sends per second
 * by route plus failed sends, and the fallback backlog per group. The picture an SRE looks at after a drill.
 */
final class TimelineChart {

    private TimelineChart() {
    }

    static void write(Path png, long origin, List<FaultRecord> faults, List<Sampler.Sample> samples, History history,
                      long endTime, String title) {
        System.setProperty("java.awt.headless", "true");
        NumberAxis time = new NumberAxis("seconds since the first fault could start");
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(time);
        plot.setGap(8);
        plot.add(faultPlot(origin, faults, endTime), 3);
        plot.add(switchPlot(origin, samples), 2);
        plot.add(throughputPlot(origin, history), 3);
        plot.add(backlogPlot(origin, samples), 2);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        try {
            ChartUtils.saveChartAsPNG(png.toFile(), chart, 1600, 1100);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + png, e);
        }
    }

    private static double sec(long t, long origin) {
        return (t - origin) / 1000.0;
    }

    private static XYPlot faultPlot(long origin, List<FaultRecord> faults, long endTime) {
        FaultKind[] kinds = FaultKind.values();
        String[] labels = new String[kinds.length];
        XYIntervalSeriesCollection data = new XYIntervalSeriesCollection();
        XYIntervalSeries series = new XYIntervalSeries("faults");
        for (int i = 0; i < kinds.length; i++) {
            labels[i] = kinds[i].label();
        }
        for (FaultRecord f : faults) {
            int y = f.kind().ordinal();
            long end = f.healedAt() == Long.MAX_VALUE ? endTime : Math.max(f.healedAt(), f.appliedAt() + 300);
            double x0 = sec(f.appliedAt(), origin);
            double x1 = sec(end, origin);
            series.add((x0 + x1) / 2, x0, x1, y, y - 0.35, y + 0.35);
        }
        data.addSeries(series);
        XYBarRenderer renderer = new XYBarRenderer();
        renderer.setUseYInterval(true);
        renderer.setBarPainter(new StandardXYBarPainter());
        renderer.setShadowVisible(false);
        renderer.setDrawBarOutline(false);
        SymbolAxis axis = new SymbolAxis("fault", labels);
        axis.setGridBandsVisible(false);
        return new XYPlot(data, null, axis, renderer);
    }

    private static XYPlot switchPlot(long origin, List<Sampler.Sample> samples) {
        XYSeries auto = new XYSeries("switch (AUTO)");
        XYSeries manual = new XYSeries("switch (MANUAL)");
        XYSeries unreachable = new XYSeries("observer cut off from ZooKeeper");
        for (Sampler.Sample s : samples) {
            double x = sec(s.time(), origin);
            int y = switch (s.status().state()) {
                case NORMAL -> 0;
                case RECOVERING -> 1;
                case DEGRADED -> 2;
            };
            boolean isManual = s.status().mode() == SwitchMode.MANUAL;
            auto.add(x, isManual ? null : (Number) y);
            manual.add(x, isManual ? (Number) y : null);
            unreachable.add(x, s.reachable() ? null : (Number) (-0.5));
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(auto);
        data.addSeries(manual);
        data.addSeries(unreachable);
        XYStepRenderer renderer = new XYStepRenderer();
        renderer.setDefaultStroke(new BasicStroke(2f));
        renderer.setAutoPopulateSeriesStroke(false);
        SymbolAxis axis = new SymbolAxis("switch", new String[] {SwitchState.NORMAL.name(), SwitchState.RECOVERING.name(),
                SwitchState.DEGRADED.name()});
        axis.setLowerBound(-0.7);
        axis.setUpperBound(2.5);
        return new XYPlot(data, null, axis, renderer);
    }

    private static XYPlot throughputPlot(long origin, History history) {
        Map<Long, int[]> perSecond = new TreeMap<>();
        for (History.Send s : history.sends().values()) {
            if (s.outcome() == null) {
                continue;
            }
            long bucket = Math.floorDiv(s.completedAt() - origin, 1000);
            int[] c = perSecond.computeIfAbsent(bucket, b -> new int[3]);
            if ("FAIL".equals(s.outcome())) {
                c[2]++;
            } else if ("MQ".equals(s.route())) {
                c[0]++;
            } else {
                c[1]++;
            }
        }
        XYSeries mq = new XYSeries("acked/s via MQ");
        XYSeries fb = new XYSeries("acked/s via FALLBACK");
        XYSeries failed = new XYSeries("failed/s (DeliveryException)");
        if (!perSecond.isEmpty()) {
            long first = perSecond.keySet().iterator().next();
            long last = ((TreeMap<Long, int[]>) perSecond).lastKey();
            for (long b = first; b <= last; b++) {
                int[] c = perSecond.getOrDefault(b, new int[3]);
                mq.add(b + 0.5, c[0]);
                fb.add(b + 0.5, c[1]);
                failed.add(b + 0.5, c[2]);
            }
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(mq);
        data.addSeries(fb);
        data.addSeries(failed);
        return new XYPlot(data, null, new NumberAxis("sends/s"), new XYLineAndShapeRenderer(true, false));
    }

    private static XYPlot backlogPlot(long origin, List<Sampler.Sample> samples) {
        XYSeriesCollection data = new XYSeriesCollection();
        Map<String, XYSeries> series = new TreeMap<>();
        for (Sampler.Sample s : samples) {
            for (Map.Entry<String, Long> e : s.backlog().entrySet()) {
                XYSeries xs = series.computeIfAbsent(e.getKey(), g -> new XYSeries("fallback backlog " + g));
                xs.add(sec(s.time(), origin), e.getValue() < 0 ? null : e.getValue());
            }
        }
        series.values().forEach(data::addSeries);
        return new XYPlot(data, null, new NumberAxis("backlog"), new XYLineAndShapeRenderer(true, false));
    }
}
