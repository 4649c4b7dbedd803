package dev.koder.training.cli;

import dev.koder.training.api.AmbiguousPluginException;
import dev.koder.training.api.ApprovalRefusedException;
import dev.koder.training.api.CheckpointNotFoundException;
import dev.koder.training.api.IllegalCheckpointStateException;
import dev.koder.training.api.IllegalJobStateException;
import dev.koder.training.api.InvalidSpecException;
import dev.koder.training.api.JobNotFoundException;
import dev.koder.training.api.PluginNotFoundException;
import dev.koder.training.api.QuotaExceededException;
import dev.koder.training.api.StorageException;
import dev.koder.training.api.TrainingException;
import dev.koder.training.api.UnsupportedFeatureException;
import dev.koder.training.spi.Json;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * Turns errors into one clear message and an exit code: invalid input exits 2, anything else 1. With
 * {@code --json} the error is a JSON object on stdout: {@code {"error": {"type", "message", "violations"}}}.
 */
final class Errors implements CommandLine.IExecutionExceptionHandler {

    private final PrintWriter out;
    private final PrintWriter err;

    Errors(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
        boolean json = parsed.expandedArgs().contains("--json");
        int code = codeOf(ex);
        if (json) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("type", typeOf(ex));
            error.put("message", ex.getMessage());
            if (ex instanceof ApprovalRefusedException) {
                error.put("gate", ((ApprovalRefusedException) ex).verdict());
            }
            if (ex instanceof InvalidSpecException) {
                error.put("violations", ((InvalidSpecException) ex).violations());
            }
            out.println(Json.write(Map.of("error", error)));
            out.flush();
        } else if (ex instanceof TrainingException) {
            err.println("error: " + ex.getMessage());
        } else {
            err.println("error: " + ex);
            ex.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    static int codeOf(Exception ex) {
        if (ex instanceof QuotaExceededException) {
            return ExitCodes.QUOTA;
        }
        if (ex instanceof InvalidSpecException || ex instanceof PluginNotFoundException
                || ex instanceof AmbiguousPluginException || ex instanceof JobNotFoundException
                || ex instanceof IllegalJobStateException || ex instanceof CommandLine.ParameterException
                || ex instanceof CheckpointNotFoundException || ex instanceof IllegalCheckpointStateException
                || ex instanceof ApprovalRefusedException) {
            return ExitCodes.INVALID;
        }
        return ExitCodes.FAILED;
    }

    static String typeOf(Exception ex) {
        for (Map.Entry<Class<?>, String> e : List.<Map.Entry<Class<?>, String>>of(
                Map.entry(UnsupportedFeatureException.class, "unsupported_feature"),
                Map.entry(QuotaExceededException.class, "quota_exceeded"),
                Map.entry(InvalidSpecException.class, "invalid_spec"),
                Map.entry(PluginNotFoundException.class, "plugin_not_found"),
                Map.entry(AmbiguousPluginException.class, "ambiguous_plugin"),
                Map.entry(JobNotFoundException.class, "job_not_found"),
                Map.entry(CheckpointNotFoundException.class, "checkpoint_not_found"),
                Map.entry(IllegalCheckpointStateException.class, "illegal_checkpoint_state"),
                Map.entry(ApprovalRefusedException.class, "approval_refused"),
                Map.entry(IllegalJobStateException.class, "illegal_job_state"),
                Map.entry(StorageException.class, "storage"),
                Map.entry(TrainingException.class, "training"))) {
            if (e.getKey().isInstance(ex)) {
                return e.getValue();
            }
        }
        return "internal";
    }
}
