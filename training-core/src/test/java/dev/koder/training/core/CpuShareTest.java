package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobStatus;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CPU job's trainer is told how many CPU threads it may use: the host's cores shared among the trainers the service
 * runs at once (two trainers with a thread per core each, on two cores, ran five times slower than with one each), and
 * the estimate assumes the same share.
 */
class CpuShareTest {

    static final int CORES = Runtime.getRuntime().availableProcessors();

    @TempDir
    Path dir;

    @Test
    void aCpuJob_getsItsShareOfTheCores_andTheEstimateAssumesIt() throws Exception {
        assertThat(threadsOf(1, "one", false)).as("one job at a time: every core").isEqualTo(Integer.toString(CORES));
        assertThat(threadsOf(2, "two", true)).as("two at once, set by the property")
                .isEqualTo(Integer.toString(Math.max(1, CORES / 2)));
        assertThat(threadsOf(CORES * 3, "many", false)).as("more jobs at once than cores: one thread each")
                .isEqualTo("1");
    }

    @Test
    void aMalformedCount_isRefusedWithThePropertysName() {
        assertThatThrownBy(() -> Training.builder().home(dir.resolve("bad"))
                .property(Training.MAX_CONCURRENT_JOBS_PROPERTY, "0").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("property training.max-concurrent-jobs must be a whole number from 1 to 4096, "
                        + "got \"0\"");
    }

    private String threadsOf(int atOnce, String name, boolean byProperty) throws Exception {
        Fixtures fx = new Fixtures(dir.resolve(name));
        Files.writeString(fx.model.resolve("config.json"), "{\"model_type\":\"llama\",\"hidden_size\":64,"
                + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
                + "\"intermediate_size\":128,\"vocab_size\":300}"); // one the estimate can size
        Training.Builder builder = Training.builder().home(dir.resolve(name).resolve("home")).runner(new ScriptedRunner())
                .pollInterval(Duration.ofMillis(50));
        if (byProperty) {
            builder.property(Training.MAX_CONCURRENT_JOBS_PROPERTY, Integer.toString(atOnce));
        } else if (atOnce != 1) {
            builder.maxConcurrentJobs(atOnce);
        }
        try (Training t = builder.build()) {
            int share = Math.max(1, CORES / atOnce);
            assertThat(t.estimate(fx.spec(1)).breakdown()).anySatisfy(line -> assertThat(line)
                    .contains("25 GFLOP/s per CPU core x " + share + (share == 1 ? " core" : " cores")));
            Job job = t.jobs().await(t.jobs().submit(fx.spec(2, Map.of("record_env", "true")).build()).id(),
                    Duration.ofSeconds(60));
            assertThat(job.status()).isEqualTo(JobStatus.SUCCEEDED);
            return Files.readString(dir.resolve(name).resolve("home").resolve("jobs").resolve(job.id())
                    .resolve("cpu-threads.txt"));
        }
    }
}
