package dev.koder.training.python;

import java.nio.file.Path;
import java.util.List;

/** A separate JVM that makes (or finds) a managed environment and prints where, for the concurrency test. */
public final class EnvironmentMaker {

    private EnvironmentMaker() {
    }

    public static void main(String[] args) {
        Requirements req = Requirements.parse("test", args[1]);
        PythonEnvironment env = ManagedEnvironments.ensure(Path.of(args[0]), req, "python3", List.of(),
                line -> System.out.println("progress: " + line));
        System.out.println("READY " + env.python());
    }
}
