package dev.koder.training.postgres;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.core.Training;
import dev.koder.training.tck.KitProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A service instance in a JVM of its own, for the tests that kill one: its stores, lease and jobs folder come from the
 * {@code training.*} system properties it is started with. It prints {@code ready leads=true|false}, submits the jobs
 * it is asked to (printing {@code submitted ID} each; the first {@code longJobs} of them train {@code longSteps}
 * steps, the others {@code steps}), then runs until it is killed.
 */
public final class InstanceHost {

    private InstanceHost() {
    }

    /** The tiny TRL job both instances submit. */
    static JobSpec spec(Path model, Path data, String name, int steps) {
        return JobSpec.builder().name(name).tenant("recsys").baseModel(model.toString()).runner("trl")
                .method(TrainingMethod.sftLora())
                .hyperparameters(Hyperparameters.builder().maxSteps(steps).learningRate(2e-3).microBatchSize(8)
                        .maxSeqLength(64).gradientCheckpointing(false).build())
                .trainingData(DatasetRef.of(data, DatasetFormat.CHAT)).resources(Resources.cpu()).build();
    }

    static Training.Builder service(Path home) {
        return Training.builder().home(home).maxConcurrentJobs(2).pollInterval(Duration.ofMillis(100));
    }

    /**
     * @param home the instance's home
     * @param properties the service's properties, as -D options
     * @return the started JVM
     */
    static Process start(Path home, Map<String, String> properties, Path model, Path data, int jobs, int steps,
            int longJobs, int longSteps) throws java.io.IOException {
        List<String> options = new ArrayList<>(List.of("-Xmx512m"));
        properties.forEach((k, v) -> options.add("-D" + k + "=" + v));
        return new ProcessBuilder(KitProcess.java(options, InstanceHost.class, home.toString(), model.toString(),
                data.toString(), Integer.toString(jobs), Integer.toString(steps), Integer.toString(longJobs),
                Integer.toString(longSteps))).redirectErrorStream(true).start();
    }

    public static void main(String[] args) throws Exception {
        Training training = service(Path.of(args[0])).build();
        System.out.println("ready leads=" + training.runsJobs());
        System.out.flush();
        int jobs = Integer.parseInt(args[3]);
        for (int i = 0; i < jobs; i++) {
            int steps = Integer.parseInt(i < Integer.parseInt(args[5]) ? args[6] : args[4]);
            String id = training.jobs().submit(spec(Path.of(args[1]), Path.of(args[2]), "from-a-" + i, steps)).id();
            System.out.println("submitted " + id);
            System.out.flush();
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
