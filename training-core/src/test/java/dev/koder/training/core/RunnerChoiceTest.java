package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.spi.RunnerChoice;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A spec that names no runner gets the runner of highest rank among those that accept it here, and says so: in
 * its first event, in validate and in the estimate. Runners found on the class path are ranked; one passed in
 * code wins.
 */
class RunnerChoiceTest {

    @TempDir
    Path dir;

    @Test
    void theHighestRankingAvailableRunner_isChosen_andTheFirstEventSaysWhy() throws Exception {
        Fixtures fx = new Fixtures(dir);
        TrainingRunner fast = new ScriptedRunnerWithChoice("fast", new RunnerChoice(30, "fastest here"));
        TrainingRunner broad = new ScriptedRunnerWithChoice("broad", new RunnerChoice(20, "broad coverage"));
        TrainingRunner missing = new ScriptedRunnerWithChoice("missing", RunnerChoice.unavailable("not installed"));
        TrainingRunner refusing = new ScriptedRunnerWithChoice("refusing", new RunnerChoice(40, "would be first"),
                new dev.koder.training.api.Violation("/runner", "runner 'refusing' cannot make its Python environment "
                        + "here; install it into a CUDA Python and set training.python.refusing (pip said: long text)"));
        try (Training t = Training.builder().home(dir.resolve("home")).runner(broad).runner(missing).runner(refusing)
                .runner(fast).pollInterval(Duration.ofMillis(50)).build()) {
            JobSpec spec = fx.spec(1);
            Job job = t.jobs().await(t.jobs().submit(spec).id(), Duration.ofSeconds(60));
            assertThat(job.status()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(job.runner()).isEqualTo("fast");
            JobEvent first = t.jobs().events(job.id(), 0, 1).items().get(0);
            assertThat(first.message()).contains("with runner fast (passed in code; fastest here; ")
                    .contains("not missing: not installed").contains("not broad: broad coverage, ranked lower")
                    // a refusal is told without the advice meant for whoever names that runner
                    .contains("not refusing: cannot make its Python environment here")
                    .doesNotContain("install it into").doesNotContain("pip said");
            assertThat(first.data()).containsEntry("runner", "fast");
            assertThat(t.validate(spec).notes()).anySatisfy(n -> assertThat(n).startsWith("runner: fast (")
                    .contains("not missing: not installed"));
        }
    }

    @Test
    void aRunnerThatCountsMicroStepsInExamples_trainsTheDefaultBudgetInExamples_andRefusesANumber() throws Exception {
        Fixtures fx = new Fixtures(dir);
        try (Training t = Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner("examples",
                ScriptedRunner.allMethods())).pollInterval(Duration.ofMillis(50)).build()) {
            JobSpec spec = fx.spec(1);
            assertThat(spec.hyperparameters().autoMicroBatchTokens()).as("SFT's default").isTrue();
            Job job = t.jobs().submit(spec);
            assertThat(job.spec().hyperparameters().tokenMicroSteps()).isFalse();
            assertThat(job.spec().hyperparameters().microBatchSize()).isEqualTo(4);
            assertThat(t.jobs().events(job.id(), 0, 1).items().get(0).message()).contains("recipe: micro-batch 4 x "
                    + "accumulation 1 = batch 4 (micro_batch_tokens auto: runner examples counts micro-steps in "
                    + "examples)");
            JobSpec budget = fx.spec(1, java.util.Map.of()).hyperparameters(dev.koder.training.api.Hyperparameters
                    .builder().maxSteps(1).maxSeqLength(64).microBatchTokens(256).build()).build();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.jobs().submit(budget))
                    .isInstanceOf(dev.koder.training.api.UnsupportedFeatureException.class)
                    .hasMessageContaining("/hyperparameters/micro_batch_tokens: runner 'examples' counts micro-steps "
                            + "in examples");
        }
    }

    /** A scripted runner with a choice of its own. */
    static final class ScriptedRunnerWithChoice implements TrainingRunner {
        private final ScriptedRunner inner;
        private final RunnerChoice choice;
        private final List<dev.koder.training.api.Violation> refusals;

        ScriptedRunnerWithChoice(String name, RunnerChoice choice, dev.koder.training.api.Violation... refusals) {
            this.inner = new ScriptedRunner(name, ScriptedRunner.allMethods());
            this.choice = choice;
            this.refusals = List.of(refusals);
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public dev.koder.training.spi.RunnerCapabilities capabilities() {
            return inner.capabilities();
        }

        @Override
        public List<dev.koder.training.api.Violation> check(JobSpec spec) {
            return refusals.isEmpty() ? inner.check(spec) : refusals;
        }

        @Override
        public RunnerChoice choice(JobSpec spec) {
            return choice;
        }

        @Override
        public dev.koder.training.spi.LaunchPlan prepare(JobSpec spec, dev.koder.training.spi.RunContext ctx)
                throws java.io.IOException {
            return inner.prepare(spec, ctx);
        }
    }
}
