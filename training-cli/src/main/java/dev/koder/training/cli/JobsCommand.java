package dev.koder.training.cli;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Page;
import dev.koder.training.api.WireName;
import dev.koder.training.core.Training;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "jobs", description = "List jobs, newest first.")
final class JobsCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Option(names = "--tenant", paramLabel = "TENANT", description = "Only this tenant's jobs.")
    String tenant;

    @Option(names = "--status", paramLabel = "STATUS", split = ",", converter = StatusConverter.class,
            description = "Only jobs in these statuses (validating, queued, running, succeeded, failed, cancelled).")
    List<JobStatus> statuses;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "Jobs per page (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--after", paramLabel = "CURSOR", description = "The cursor printed under the previous page.")
    String after;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    static final class StatusConverter implements CommandLine.ITypeConverter<JobStatus> {
        @Override
        public JobStatus convert(String value) {
            try {
                return WireName.parse(JobStatus.class, value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    @Override
    public Integer call() {
        if (limit < 1 || limit > JobQuery.MAX_LIMIT) {
            throw new CommandLine.ParameterException(command.commandLine(),
                    "--limit must be between 1 and " + JobQuery.MAX_LIMIT + ", got " + limit);
        }
        JobQuery.Builder q = JobQuery.builder().tenant(tenant).after(after).limit(limit);
        if (statuses != null) {
            statuses.forEach(q::status);
        }
        try (Training training = common.client()) {
            Page<Job> page = training.jobs().list(q.build());
            common.print(command.commandLine().getOut(), page, out -> Render.jobs(out, page.items(), page.nextCursor()));
        }
        return ExitCodes.OK;
    }
}
