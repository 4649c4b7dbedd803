package dev.koder.training.mlflow;

import dev.koder.training.core.Training;
import dev.koder.training.tck.KitProcess;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A separate JVM that runs the jobs of a home with MLflow tracking on, for the SIGKILL test; prints "ready". */
public final class MlflowServiceHost {

    private MlflowServiceHost() {
    }

    static Process start(Path home, String mlflowUri) throws java.io.IOException {
        return new ProcessBuilder(KitProcess.java(List.of("-Xmx256m"), MlflowServiceHost.class, home.toString(),
                mlflowUri)).redirectErrorStream(true).start();
    }

    public static void main(String[] args) throws Exception {
        Training training = Training.builder().home(Path.of(args[0])).runner(new ScriptedRunner())
                .pollInterval(Duration.ofMillis(50)).property("training.mlflow.uri", args[1])
                .property("training.mlflow.flush-ms", "100").property("training.mlflow.max-backoff-ms", "500")
                .build();
        if (!training.runsJobs()) {
            System.out.println("not the worker");
            System.exit(2);
        }
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
