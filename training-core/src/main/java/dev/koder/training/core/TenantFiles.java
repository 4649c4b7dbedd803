package dev.koder.training.core;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Jobs;
import dev.koder.training.api.Page;
import dev.koder.training.api.StoredFile;
import dev.koder.training.api.Uploads;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One tenant's uploaded files (OpenAI's Files): upload checked example by example, list, look up, delete, and the
 * results file of each succeeded job. Another tenant's file is reported as a missing one.
 */
public final class TenantFiles implements Uploads {

    private final UploadedFiles files;
    private final String tenant;
    private final Jobs jobs;

    TenantFiles(UploadedFiles files, String tenant, Jobs jobs) {
        this.files = files;
        this.tenant = tenant;
        this.jobs = jobs;
    }

    @Override
    public StoredFile upload(String filename, String purpose, InputStream in, long maxBytes) {
        return files.put(tenant, filename, purpose, in, maxBytes);
    }

    @Override
    public Page<StoredFile> list(String purpose, boolean oldestFirst, String after, int limit) {
        return files.list(tenant, purpose, oldestFirst, after, limit);
    }

    @Override
    public Optional<StoredFile> get(String id) {
        return files.get(tenant, id);
    }

    @Override
    public boolean delete(String id) {
        return files.delete(tenant, id);
    }

    @Override
    public Optional<StoredFile> results(Job job) {
        if (job.status() != JobStatus.SUCCEEDED || !job.spec().tenant().equals(tenant)) {
            return Optional.empty();
        }
        String id = "file-" + job.id().substring("ftjob-".length()) + "-results";
        Optional<StoredFile> made = files.get(tenant, id);
        if (made.isPresent()) {
            return made;
        }
        Map<Long, double[]> rows = new LinkedHashMap<>();
        long after = 0;
        Page<JobEvent> page;
        do {
            page = jobs.events(job.id(), after, 1000);
            for (JobEvent e : page.items()) {
                after = e.seq();
                Object step = e.data().get("step");
                if (!(step instanceof Number n)) {
                    continue;
                }
                double[] row = rows.computeIfAbsent(n.longValue(), k -> new double[] {Double.NaN, Double.NaN,
                        Double.NaN, Double.NaN});
                if (JobEvent.TYPE_PROGRESS.equals(e.type())) {
                    row[0] = number(e.data().get("loss"));
                    row[1] = number(e.data().get("mean_token_accuracy"));
                } else if (JobEvent.TYPE_EVAL.equals(e.type()) && e.data().get("metrics") instanceof Map<?, ?> m) {
                    row[2] = number(m.get("eval_loss"));
                    row[3] = number(m.get("eval_mean_token_accuracy"));
                }
            }
        } while (page.nextCursor() != null && !page.items().isEmpty());
        StringBuilder csv = new StringBuilder("step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n");
        long count = 0;
        for (Map.Entry<Long, double[]> r : rows.entrySet()) {
            double[] v = r.getValue();
            if (Double.isNaN(v[0]) && Double.isNaN(v[2])) {
                continue;
            }
            csv.append(r.getKey());
            for (double d : v) {
                csv.append(',').append(Double.isNaN(d) ? "" : String.format(Locale.ROOT, "%.6g", d));
            }
            csv.append('\n');
            count++;
        }
        return Optional.of(files.putResults(tenant, id, "step_metrics.csv", csv.toString().getBytes(
                StandardCharsets.UTF_8), count));
    }

    private static double number(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
