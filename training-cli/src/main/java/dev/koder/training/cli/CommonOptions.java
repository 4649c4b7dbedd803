package dev.koder.training.cli;

import dev.koder.training.core.Training;
import dev.koder.training.spi.Json;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/** Options every command takes, and what commands do with them. */
final class CommonOptions {

    @Option(names = "--home", paramLabel = "DIR", defaultValue = ".training",
            description = "Home directory of the service: database, job folders, logs (default: ${DEFAULT-VALUE}).")
    Path home;

    @Option(names = "--json", description = "Print machine-readable JSON on stdout instead of text.")
    boolean json;

    /** @return a service on the home that submits and watches but never runs jobs itself */
    Training client() {
        return Training.builder().home(home).runJobs(false).build();
    }

    /** Prints a value as JSON with --json, else as text for people. */
    void print(PrintWriter out, Object value, Consumer<PrintWriter> text) {
        if (json) {
            out.println(Json.write(value));
        } else {
            text.accept(out);
        }
    }
}
