package dev.koder.training.spi;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where and how one attempt of a job runs, handed to {@link TrainingRunner#prepare}.
 *
 * @param jobId the job
 * @param attempt 1 for the first start, more for resumes
 * @param workdir the job's own folder; the runner writes its files here and nowhere else
 * @param eventsFile where the trainer must append its JSONL events (see docs/PROTOCOL.md)
 * @param outputDir where the trainer writes checkpoints and the final output
 * @param stdout file the launch plan should send standard output to
 * @param stderr file the launch plan should send standard error to (the service reads its tail on failure)
 * @param resumeFrom checkpoint folder to resume from, if any
 * @param gpus indexes of the GPUs allocated to the job (empty on CPU)
 * @param progress receives one-line notes about slow preparation (creating a Python environment...), which
 *     become job events
 */
public record RunContext(String jobId, int attempt, Path workdir, Path eventsFile, Path outputDir, Path stdout,
        Path stderr, Optional<Path> resumeFrom, List<Integer> gpus, Consumer<String> progress) {

    /** Copies the GPU list so the record stays immutable. */
    public RunContext {
        gpus = List.copyOf(gpus);
        progress = progress == null ? message -> { } : progress;
    }
}
