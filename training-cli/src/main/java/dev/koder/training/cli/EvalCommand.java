package dev.koder.training.cli;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Evaluation;
import dev.koder.training.core.Training;
import dev.koder.training.core.data.DatasetValidator;
import dev.koder.training.spi.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/** {@code training eval}: scores a checkpoint beside its base model on held-out data, and keeps the figures. */
@Command(name = "eval", description = {"Score a checkpoint and its base model on a held-out data file.",
        "SFT data (chat, prompt-completion, alpaca): loss and token accuracy on the tokens training learns. "
                + "Preference data: preference accuracy and log-p margin, and DPO's reward accuracy and margin with "
                + "the base as reference. Pairs (embeddings): retrieval NDCG, MRR, MAP and recall. Groups and scored "
                + "pairs (rerankers): re-ranking figures. The figures are kept with the checkpoint (with the file's SHA-256), sent "
                + "to MLflow, and read by the approval gate."})
final class EvalCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Parameters(paramLabel = "CKPT", description = "The checkpoint id (ckpt-...).")
    String id;

    @Option(names = "--data", paramLabel = "FILE", required = true, description = "The held-out JSONL file.")
    Path data;

    @Option(names = "--format", paramLabel = "FORMAT", converter = ValidateDataCommand.FormatConverter.class,
            description = "Its format: chat, prompt-completion, alpaca, preference, pairs, groups or scored-pairs "
                    + "(default: told from its first line).")
    DatasetFormat format;

    @Option(names = "--actor", paramLabel = "NAME", description = "Who asks for it (default: $USER).")
    String actor;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() {
        DatasetFormat f = format != null ? format : guess(data);
        PrintWriter err = command.commandLine().getErr();
        try (Training training = common.client()) {
            Evaluation e;
            try {
                e = training.checkpoints().evaluate(id, DatasetRef.of(data, f), actor == null
                        ? CheckpointsCommand.defaultActor() : actor, line -> {
                            if (!common.json) {
                                err.println("  " + line);
                                err.flush();
                            }
                        });
            } catch (IllegalArgumentException bad) {
                throw new CommandLine.ParameterException(command.commandLine(), bad.getMessage());
            }
            common.print(command.commandLine().getOut(), e, out -> Render.evaluation(out, e));
        }
        return ExitCodes.OK;
    }

    /** The format of a file's first example, or a usage error saying to name it. */
    private DatasetFormat guess(Path file) {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (!line.isBlank()) {
                    DatasetFormat f = DatasetValidator.guess(Json.MAPPER.readTree(line));
                    if (f == null) {
                        break;
                    }
                    return f;
                }
            }
        } catch (IOException e) {
            throw new CommandLine.ParameterException(command.commandLine(), "--data: cannot read " + file + ": "
                    + e.getMessage());
        } catch (RuntimeException e) {
            // not JSON: the evaluation's own check says where
            return DatasetFormat.CHAT;
        }
        throw new CommandLine.ParameterException(command.commandLine(), String.format(Locale.ROOT,
                "--data: cannot tell the format of %s from its first example; name it with --format", file));
    }
}
