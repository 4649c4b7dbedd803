package dev.koder.training.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every command takes. */
final class CommonOptions {

    @Option(names = "--home", paramLabel = "DIR", defaultValue = ".training",
            description = "Home directory of the service: database, job folders, logs (default: ${DEFAULT-VALUE}).")
    Path home;

    @Option(names = "--json", description = "Print machine-readable JSON on stdout instead of text.")
    boolean json;
}
