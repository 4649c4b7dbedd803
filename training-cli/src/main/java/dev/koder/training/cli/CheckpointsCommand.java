package dev.koder.training.cli;

import dev.koder.training.api.ApprovalVerdict;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointExport;
import dev.koder.training.api.CheckpointFormat;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.CheckpointStage;
import dev.koder.training.api.Page;
import dev.koder.training.api.WireName;
import dev.koder.training.core.Training;
import dev.koder.training.core.internal.Bytes;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "checkpoints", description = {"The checkpoint registry: every checkpoint and output jobs wrote.",
        "Each is registered as a draft with its files (size, SHA-256) stored as blobs; people approve or "
                + "deprecate it (draft -> approved -> deprecated, or draft -> deprecated; nothing goes back)."},
        subcommands = {CheckpointsCommand.ListCheckpoints.class, CheckpointsCommand.Show.class,
                CheckpointsCommand.Gate.class, CheckpointsCommand.Approve.class, CheckpointsCommand.Deprecate.class,
                CheckpointsCommand.Download.class, CheckpointsCommand.Export.class})
final class CheckpointsCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public void run() {
        command.commandLine().usage(command.commandLine().getOut());
    }

    static String defaultActor() {
        String user = System.getenv("USER");
        return user == null || user.isBlank() ? System.getProperty("user.name", "unknown") : user;
    }

    @Command(name = "list", description = "List checkpoints, newest first.")
    static final class ListCheckpoints implements Callable<Integer> {

        @Mixin
        CommonOptions common;

        @Option(names = "--tenant", paramLabel = "TENANT", description = "Only this tenant's.")
        String tenant;

        @Option(names = "--model", paramLabel = "BASE_MODEL", description = "Only those of this base model.")
        String model;

        @Option(names = "--stage", paramLabel = "STAGE", description = "Only those in this stage: draft, approved, "
                + "deprecated.")
        String stage;

        @Option(names = "--job", paramLabel = "JOB_ID", description = "Only this job's.")
        String job;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "Per page (default: "
                + "${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--after", paramLabel = "CURSOR", description = "The cursor printed under the previous page.")
        String after;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec command;

        @Override
        public Integer call() {
            CheckpointStage s;
            try {
                s = stage == null ? null : WireName.parse(CheckpointStage.class, stage);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(command.commandLine(), "--stage: " + e.getMessage());
            }
            if (limit < 1 || limit > 1000) {
                throw new CommandLine.ParameterException(command.commandLine(), "--limit must be between 1 and 1000, "
                        + "got " + limit);
            }
            try (Training training = common.client()) {
                Page<Checkpoint> page = training.checkpoints().list(CheckpointQuery.builder().tenant(tenant)
                        .baseModel(model).stage(s).jobId(job).after(after).limit(limit).build());
                common.print(command.commandLine().getOut(), page, out -> Render.checkpoints(out, page.items(),
                        page.nextCursor()));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "show", description = "Show one checkpoint: files, figures, lineage and history.")
    static final class Show implements Callable<Integer> {

        @Mixin
        CommonOptions common;

        @Parameters(paramLabel = "ID", description = "The checkpoint id (ckpt-...).")
        String id;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec command;

        @Override
        public Integer call() {
            try (Training training = common.client()) {
                Checkpoint c = training.checkpoints().get(id);
                List<Checkpoint.Transition> history = training.checkpoints().history(id);
                List<Checkpoint> chain = training.checkpoints().ancestry(id);
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("checkpoint", c);
                doc.put("history", history);
                List<dev.koder.training.api.Evaluation> evaluations = training.checkpoints().evaluations(id);
                doc.put("ancestry", chain.stream().map(Checkpoint::id).toList());
                List<dev.koder.training.api.CheckpointExport> exports = training.checkpoints().exports(id);
                doc.put("evaluations", evaluations);
                doc.put("exports", exports);
                common.print(command.commandLine().getOut(), doc, out -> {
                    Render.checkpoint(out, c, chain, evaluations, history);
                    for (dev.koder.training.api.CheckpointExport x : exports) {
                        out.printf(java.util.Locale.ROOT, "  exported %s to %s: %s, %d files, manifest sha256 %s%n",
                                Render.DATE_TIME.format(x.exportedAt()), x.dir(), x.merged() ? "merged" : "adapter",
                                x.files().size(), x.manifestSha256());
                    }
                });
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "gate", description = {"Show what the approval gate decides if ACTOR approved a checkpoint now.",
            "The rules are the home's training.approval.* settings (README, \"Evaluating and approving\")."})
    static final class Gate implements Callable<Integer> {

        @Mixin
        CommonOptions common;

        @Parameters(paramLabel = "ID", description = "The checkpoint id (ckpt-...).")
        String id;

        @Option(names = "--actor", paramLabel = "NAME", description = "Who would approve it (default: the user "
                + "running the command).")
        String actor;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec command;

        @Override
        public Integer call() {
            try (Training training = common.client()) {
                ApprovalVerdict v = training.checkpoints().gate(id, actor == null ? defaultActor() : actor);
                common.print(command.commandLine().getOut(), v, out -> Render.verdict(out, v));
                return v.allowed() ? ExitCodes.OK : ExitCodes.FAILED;
            }
        }
    }

    /** What approve and deprecate share. */
    abstract static class Move implements Callable<Integer> {

        @Mixin
        CommonOptions common;

        @Parameters(paramLabel = "ID", description = "The checkpoint id (ckpt-...).")
        String id;

        @Option(names = "--reason", paramLabel = "TEXT", required = true, description = "Why (kept in its history).")
        String reason;

        @Option(names = "--actor", paramLabel = "NAME", description = "Who (default: the user running the command).")
        String actor;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec command;

        abstract Checkpoint move(Training training, String who);

        @Override
        public Integer call() {
            if (reason.isBlank()) {
                throw new CommandLine.ParameterException(command.commandLine(), "--reason must say why");
            }
            String who = actor == null ? defaultActor() : actor;
            try (Training training = common.client()) {
                Checkpoint c = move(training, who);
                common.print(command.commandLine().getOut(), c, out -> out.println("Checkpoint " + c.id() + " is "
                        + c.stage().wireName() + " (" + who + ": " + reason.strip() + ")."));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "approve", description = {"Approve a draft: it becomes the checkpoint to use for its base model.",
            "The approval gate checks it first; a refusal names each rule that failed."})
    static final class Approve extends Move {

        @Option(names = "--override", description = "Approve it even if the approval gate refuses: an admin's "
                + "decision, recorded in its history with the failed rules and the reason.")
        boolean override;

        @Override
        Checkpoint move(Training training, String who) {
            return override ? training.checkpoints().approveOverriding(id, who, reason)
                    : training.checkpoints().approve(id, who, reason);
        }
    }

    @Command(name = "deprecate", description = "Deprecate a draft or an approved checkpoint.")
    static final class Deprecate extends Move {
        @Override
        Checkpoint move(Training training, String who) {
            return training.checkpoints().deprecate(id, who, reason);
        }
    }

    @Command(name = "download", description = {"Copy a checkpoint's files into a folder.",
            "Every file's size and SHA-256 are verified; a mismatch fails loudly and leaves no partial file."})
    static final class Download implements Callable<Integer> {

        @Mixin
        CommonOptions common;

        @Parameters(paramLabel = "ID", description = "The checkpoint id (ckpt-...).")
        String id;

        @Option(names = "--to", paramLabel = "DIR", required = true, description = "The folder (created if needed).")
        Path to;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec command;

        @Override
        public Integer call() {
            PrintWriter err = command.commandLine().getErr();
            try (Training training = common.client()) {
                Checkpoint c = training.checkpoints().get(id);
                long t0 = System.nanoTime();
                Path dir = training.checkpoints().download(id, to, progress(err, common.json, c.size()));
                double seconds = (System.nanoTime() - t0) / 1e9;
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("id", c.id());
                doc.put("dir", dir.toString());
                doc.put("files", c.files().size());
                doc.put("bytes", c.size());
                doc.put("verified", true);
                common.print(command.commandLine().getOut(), doc, out -> out.printf(Locale.ROOT,
                        "Downloaded %s to %s: %d files, %s, every size and SHA-256 verified (%.1f s).%n", c.id(), dir,
                        c.files().size(), Bytes.human(c.size()), seconds));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "export", description = {"Export a checkpoint for serving into a new folder.",
            "The adapter as PEFT files, or with --merged the base model with the adapter merged in (safetensors, "
                    + "config, tokenizer), with a model card (README.md) and training-export.json, which records "
                    + "every file's SHA-256. The same checkpoint exports to the same bytes every time."})
    static final class Export implements Callable<Integer> {

        @Mixin
        CommonOptions common;

        @Parameters(paramLabel = "ID", description = "The checkpoint id (ckpt-...).")
        String id;

        @Option(names = "--to", paramLabel = "DIR", required = true,
                description = "The folder to create (it must not exist, or be empty).")
        Path to;

        @Option(names = "--merged", description = {"Merge the adapter into its base model (on the CPU, in the "
                + "trainer's Python environment) and check the merged model's logits against the adapter's.",
                "A checkpoint that is a whole model is exported as it is."})
        boolean merged;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec command;

        @Override
        public Integer call() {
            PrintWriter err = command.commandLine().getErr();
            try (Training training = common.client()) {
                Checkpoint c = training.checkpoints().get(id);
                long t0 = System.nanoTime();
                if (!common.json && merged && c.format() == CheckpointFormat.PEFT_ADAPTER) {
                    err.printf(Locale.ROOT, "Merging the adapter into %s on the CPU; this loads the whole base model."
                            + "%n", c.baseModel());
                    err.flush();
                }
                CheckpointExport e;
                try {
                    e = training.checkpoints().export(id, to, merged, progress(err, common.json, c.size()));
                } catch (IllegalArgumentException bad) {
                    throw new CommandLine.ParameterException(command.commandLine(), "--to: " + bad.getMessage());
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                common.print(command.commandLine().getOut(), e, out -> {
                    out.printf(Locale.ROOT, "Exported %s to %s: %s, %d files, %s (%.1f s).%n", c.id(), e.dir(),
                            e.merged() ? "merged into " + e.merge().base() : c.format().wireName().replace('_', ' '),
                            e.files().size(), Bytes.human(e.size()), seconds);
                    if (e.merge() != null) {
                        out.printf(Locale.ROOT, "Merge check: the merged %s model's logits differ from the "
                                + "adapter's by at most %.3g (allowed %.3g).%n", e.merge().dtype(),
                                e.merge().maxAbsDiff(), e.merge().tolerance());
                    }
                    out.printf(Locale.ROOT, "Manifest: %s, sha256 %s.%n", CheckpointExport.MANIFEST,
                            e.manifestSha256());
                });
            }
            return ExitCodes.OK;
        }
    }

    /** Shows a copy's progress on stderr in tenths, unless the output is JSON. */
    private static LongConsumer progress(PrintWriter err, boolean quiet, long size) {
        long total = Math.max(1, size);
        AtomicInteger shown = new AtomicInteger(-1);
        return n -> {
            int pct = (int) (100 * n / total);
            if (!quiet && pct / 10 > shown.get()) {
                shown.set(pct / 10);
                err.printf(Locale.ROOT, "  %3d%% of %s%n", pct, Bytes.human(size));
                err.flush();
            }
        };
    }
}
