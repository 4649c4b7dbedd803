package dev.koder.training.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.koder.training.api.JobEvent;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A job's curves against its steps, read from its events: training and evaluation loss, learning rate, and for
 * DPO the reward margin and accuracy. Drawn with JFreeChart as one PNG of stacked panels sharing the step axis,
 * or given as series for scripts.
 *
 * @param job the job's id
 * @param series each curve by name ({@code loss}, {@code eval_loss}, {@code learning_rate},
 *     {@code rewards/margins}, {@code rewards/accuracies}), as {@code [step, value]} pairs in step order
 */
record TrainingCurves(@JsonProperty("job_id") String job, @JsonProperty("series") Map<String, List<double[]>> series) {

    static final String LOSS = "loss";
    static final String EVAL_LOSS = "eval_loss";
    static final String LEARNING_RATE = "learning_rate";
    static final String MARGINS = "rewards/margins";
    static final String ACCURACIES = "rewards/accuracies";

    /** @param jobId the job @param events its events, in order @return its curves (empty ones left out) */
    static TrainingCurves of(String jobId, List<JobEvent> events) {
        Map<String, List<double[]>> s = new LinkedHashMap<>();
        for (String name : List.of(LOSS, EVAL_LOSS, LEARNING_RATE, MARGINS, ACCURACIES)) {
            s.put(name, new ArrayList<>());
        }
        for (JobEvent e : events) {
            if (!(e.data().get("step") instanceof Number step)) {
                continue;
            }
            if (e.type().equals(JobEvent.TYPE_PROGRESS)) {
                add(s.get(LOSS), step, e.data().get("loss"));
                add(s.get(LEARNING_RATE), step, e.data().get("learning_rate"));
                add(s.get(MARGINS), step, e.data().get("rewards_margins"));
                add(s.get(ACCURACIES), step, e.data().get("rewards_accuracies"));
            } else if (e.type().equals(JobEvent.TYPE_EVAL) && e.data().get("metrics") instanceof Map<?, ?> m) {
                add(s.get(EVAL_LOSS), step, m.get("eval_loss"));
            }
        }
        s.values().removeIf(List::isEmpty);
        return new TrainingCurves(jobId, s);
    }

    private static void add(List<double[]> to, Number step, Object value) {
        if (value instanceof Number v && Double.isFinite(v.doubleValue())) {
            to.add(new double[] {step.doubleValue(), v.doubleValue()});
        }
    }

    /** @return whether the job reported any figure to draw */
    boolean isEmpty() {
        return series.isEmpty();
    }

    /**
     * Draws the curves as a PNG.
     *
     * @param out where the PNG goes
     * @param width pixels
     * @param height pixels
     * @throws IOException when it cannot be written
     */
    void png(OutputStream out, int width, int height) throws IOException {
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(new NumberAxis("step"));
        plot.setGap(12);
        panel(plot, "loss", Color.decode("#1f77b4"), LOSS, EVAL_LOSS);
        panel(plot, "learning rate", Color.decode("#2ca02c"), LEARNING_RATE);
        panel(plot, "reward margin", Color.decode("#9467bd"), MARGINS);
        panel(plot, "reward accuracy", Color.decode("#d62728"), ACCURACIES);
        JFreeChart chart = new JFreeChart("Job " + job, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.writeChartAsPNG(out, chart, width, height);
    }

    private void panel(CombinedDomainXYPlot plot, String label, Color color, String... names) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (String name : names) {
            List<double[]> points = series.get(name);
            if (points == null) {
                continue;
            }
            XYSeries xy = new XYSeries(name.equals(LOSS) ? "train loss" : name.equals(EVAL_LOSS) ? "eval loss"
                    : name, false, true);
            points.forEach(p -> xy.add(p[0], p[1]));
            data.addSeries(xy);
        }
        if (data.getSeriesCount() == 0) {
            return;
        }
        NumberAxis axis = new NumberAxis(label);
        axis.setAutoRangeIncludesZero(false);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesPaint(i, i == 0 ? color : Color.decode("#ff7f0e"));
            renderer.setSeriesStroke(i, new BasicStroke(2f));
            // Evaluations are few: show them as points too.
            renderer.setSeriesShapesVisible(i, data.getSeries(i).getItemCount() < 30);
        }
        XYPlot sub = new XYPlot(data, null, axis, renderer);
        sub.setBackgroundPaint(Color.WHITE);
        sub.setDomainGridlinePaint(Color.LIGHT_GRAY);
        sub.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.add(sub, 1);
    }
}
