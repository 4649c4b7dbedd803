package dev.koder.training.core;

import dev.koder.training.api.DatasetReport;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.ValidationReport;
import dev.koder.training.api.Violation;
import dev.koder.training.core.artifact.SafetensorsHeader;
import dev.koder.training.core.data.ApproximateTokenCounter;
import dev.koder.training.core.data.DatasetValidator;
import dev.koder.training.core.data.HfTokenCounter;
import dev.koder.training.core.data.RetrievalSetValidator;
import dev.koder.training.core.data.TokenCounter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The checks a job's files must pass before it may queue: its base model folder and every dataset. */
final class JobValidation {

    private JobValidation() {
    }

    /**
     * @param spec a spec with absolute paths
     * @param extra violations found earlier (runner checks), reported first
     * @param notes what was not checked
     * @param maxIssues findings listed per dataset
     * @return what was found
     */
    static ValidationReport validate(JobSpec spec, List<Violation> extra, List<String> notes, int maxIssues) {
        List<Violation> violations = new ArrayList<>(extra);
        violations.addAll(checkModel(spec.baseModel()));
        List<DatasetReport> reports = new ArrayList<>();
        TokenCounter tokens;
        try {
            tokens = HfTokenCounter.forModel(spec.baseModel());
        } catch (UncheckedIOException e) {
            violations.add(new Violation("/base_model", "its tokenizer.json cannot be loaded: " + e.getMessage()));
            tokens = new ApproximateTokenCounter();
        }
        try (TokenCounter counter = tokens) {
            DatasetValidator validator = DatasetValidator.builder().tokens(counter).maxIssues(maxIssues)
                    .maxSeqLength(spec.hyperparameters().maxSeqLength()).build();
            reports.add(validator.validate(Path.of(spec.trainingData().path()), spec.trainingData().format()));
            spec.validationData().ifPresent(v -> reports.add(validator.validate(Path.of(v.path()), v.format())));
        }
        spec.retrievalData().ifPresent(r -> violations.addAll(new RetrievalSetValidator(maxIssues).validate(r)));
        return new ValidationReport(violations, reports, notes);
    }

    /**
     * A local base model must be a folder with a config.json (a model) or an adapter_config.json (an adapter
     * checkpoint to continue); a hub id is left to the runner.
     */
    static List<Violation> checkModel(String baseModel) {
        if (!baseModel.startsWith("/")) {
            return List.of();
        }
        Path dir = Path.of(baseModel);
        if (!Files.exists(dir)) {
            return List.of(new Violation("/base_model", "folder " + dir + " does not exist"));
        }
        if (!Files.isDirectory(dir)) {
            return List.of(new Violation("/base_model", dir + " is a file; give the model's folder"));
        }
        if (!Files.isRegularFile(dir.resolve("config.json")) && !Files.isRegularFile(dir.resolve("adapter_config.json"))) {
            return List.of(new Violation("/base_model", dir + " has no config.json; a Hugging Face model folder "
                    + "holds config.json, the weights and the tokenizer"));
        }
        // Each weights file's header against its size: a copy cut short passes every other check and fails only
        // when training loads it.
        List<Violation> broken = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList()) {
                try {
                    SafetensorsHeader.read(f);
                } catch (IOException e) {
                    broken.add(new Violation("/base_model", e.getMessage() + "; copy the model again"));
                }
            }
        } catch (IOException e) {
            broken.add(new Violation("/base_model", "cannot list " + dir + ": " + e.getMessage()));
        }
        return broken;
    }
}
