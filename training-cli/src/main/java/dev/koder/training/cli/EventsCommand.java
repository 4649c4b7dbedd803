package dev.koder.training.cli;

import dev.koder.training.api.JobEvent;
import dev.koder.training.api.Page;
import dev.koder.training.core.Training;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "events", description = {"Show a job's events in order.",
        "--follow keeps showing new ones until the job ends."})
final class EventsCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Parameters(paramLabel = "ID", description = "The job id (ftjob-...).")
    String id;

    @Option(names = "--after", paramLabel = "SEQ", defaultValue = "0", description = "Only events after this number.")
    long after;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "Events per page (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--follow", description = "Keep following until the job ends (JSON: one event per line).")
    boolean follow;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() throws Exception {
        if (limit < 1 || limit > 1000) {
            throw new CommandLine.ParameterException(command.commandLine(),
                    "--limit must be between 1 and 1000, got " + limit);
        }
        PrintWriter out = command.commandLine().getOut();
        try (Training training = common.client()) {
            if (follow) {
                new Follow(training.jobs(), out, common.json, System.console() != null && !common.json)
                        .until(id, after);
                return ExitCodes.OK;
            }
            Page<JobEvent> page = training.jobs().events(id, after, limit);
            common.print(out, page, text -> {
                page.items().forEach(e -> Render.event(text, e));
                if (page.nextCursor() != null) {
                    text.println("More: --after " + page.nextCursor());
                }
            });
        }
        return ExitCodes.OK;
    }
}
