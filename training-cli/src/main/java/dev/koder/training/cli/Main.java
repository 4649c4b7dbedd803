package dev.koder.training.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code training} command. Human output by default, {@code --json} for scripts. */
@Command(name = "training", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        scope = CommandLine.ScopeType.INHERIT,
        description = "Fine-tune models on your own machines: validate and estimate specs, submit jobs, follow and "
                + "cancel them, set GPU-hour budgets, see the GPU pool.",
        subcommands = {QuickstartCommand.class, ValidateCommand.class, ValidateDataCommand.class,
                EstimateCommand.class, SubmitCommand.class, JobsCommand.class, StatusCommand.class, EventsCommand.class,
                CancelCommand.class, PauseCommand.class, ResumeCommand.class, PlotCommand.class, WorkerCommand.class, CheckpointsCommand.class, EvalCommand.class,
                QuotaCommand.class, ModelsCommand.class,
                PoolCommand.class, AxolotlConfigCommand.class, ServeCommand.class, KeysCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 success, 1 the job failed or was cancelled (or another runtime failure), "
                + "2 invalid input, 3 refused: the tenant's GPU-hour budget does not cover the job.", "Docs: README.md and docs/ in the repository."})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * @param args command-line arguments
     */
    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /**
     * Runs a command with the given streams, for tests and embedding.
     *
     * @param args arguments
     * @param out standard output
     * @param err standard error
     * @return the exit code
     */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler(new Errors(out, err));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl.execute(args);
    }

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"training " + (v == null ? "(development build)" : v)};
        }
    }
}
