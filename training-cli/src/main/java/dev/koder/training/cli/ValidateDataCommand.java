package dev.koder.training.cli;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetReport;
import dev.koder.training.api.WireName;
import dev.koder.training.core.data.DatasetValidator;
import dev.koder.training.core.data.HfTokenCounter;
import dev.koder.training.core.data.TokenCounter;
import dev.koder.training.spi.Json;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

@Command(name = "validate-data", description = {"Check one JSONL dataset against a format and count it.",
        "Exit 0 when it is valid (warnings allowed), 2 when not."})
final class ValidateDataCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE.jsonl", description = "The dataset.")
    Path file;

    @Option(names = "--format", required = true, paramLabel = "FORMAT", converter = FormatConverter.class,
            description = "chat, prompt-completion, preference, alpaca, pairs, scored-pairs or groups.")
    DatasetFormat format;

    @Option(names = "--model", paramLabel = "DIR",
            description = "A model folder with tokenizer.json, for exact token counts (else ~4 characters a token).")
    Path model;

    @Option(names = "--max-seq-length", paramLabel = "N", defaultValue = "2048",
            description = "Warn about examples longer than this many tokens (default: ${DEFAULT-VALUE}).")
    int maxSeqLength;

    @Option(names = "--max-issues", paramLabel = "N", defaultValue = "50",
            description = "List at most this many findings; count the rest (default: ${DEFAULT-VALUE}).")
    int maxIssues;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    static final class FormatConverter implements CommandLine.ITypeConverter<DatasetFormat> {
        @Override
        public DatasetFormat convert(String value) {
            try {
                return WireName.parse(DatasetFormat.class, value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    @Override
    public Integer call() {
        PrintWriter out = command.commandLine().getOut();
        DatasetReport report;
        try (TokenCounter tokens = model == null ? new dev.koder.training.core.data.ApproximateTokenCounter()
                : HfTokenCounter.forModel(model.toAbsolutePath().toString())) {
            report = DatasetValidator.builder().tokens(tokens).maxSeqLength(maxSeqLength).maxIssues(maxIssues).build()
                    .validate(file, format);
        }
        if (json) {
            out.println(Json.write(report));
        } else {
            out.println(file + ": " + (report.valid() ? "valid " + format.wireName() + " data"
                    : Render.count(report.errors(), "error")));
            Render.dataset(out, report, "");
        }
        return report.valid() ? ExitCodes.OK : ExitCodes.INVALID;
    }
}
