package dev.koder.training.core.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointFormat;
import dev.koder.training.api.CheckpointStage;
import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobProgress;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Placement;
import dev.koder.training.spi.Json;
import dev.koder.training.tck.Samples;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Job, CostEstimate and Checkpoint are classes with builders: what they store as JSON reads back equal, a copy
 * through {@code toBuilder} changes only what it sets, and JSON written before a field existed still reads.
 */
class ApiObjectsJsonTest {

    static final Instant T = Instant.parse("2026-12-02T10:00:00Z");

    static CostEstimate estimate() {
        return CostEstimate.builder().examples(460).tokens(96_000).tokensExact(true).parameters(1_235_814_400L)
                .trainableParameters(11_272_192).flops(7.1e14).device("H100").gpus(1).tokensPerSecond(5300)
                .basis("calibration").wallSeconds(58.2).gpuHours(0.016).price(0.04).currency("USD")
                .memory(new CostEstimate.MemoryEstimate(2.3, 0.04, 0.08, 1.1, 0.5, 0, 1.2, 5.2)).memoryLimitGib(80.0)
                .fits(true).breakdown(List.of("tokens: 96000", "memory: 5.2 GiB")).build();
    }

    static Job job() {
        return Job.builder().id("ftjob-01").spec(Samples.spec("acme")).status(JobStatus.RUNNING).pauseRequested(true)
                .runner("trl").createdAt(T).updatedAt(T.plusSeconds(5)).startedAt(T.plusSeconds(1)).attempt(2)
                .progress(JobProgress.NONE).lastCheckpoint("/h/jobs/ftjob-01/output/checkpoint-40")
                .resumedFrom("ftjob-00").estimate(estimate()).placement(new Placement("local", List.of(0)))
                .tracking(Map.of("mlflow.run_id", "abc")).build();
    }

    @Test
    void aJob_readsBackEqual_andItsJsonKeepsTheWireNames() {
        Job job = job();
        String json = Json.write(job);
        assertThat(Json.MAPPER.readValue(json, Job.class)).isEqualTo(job);
        JsonNode tree = Json.MAPPER.readTree(json);
        assertThat(tree.get("pause_requested").asBoolean()).isTrue();
        assertThat(tree.get("cancel_requested").asBoolean()).isFalse();
        assertThat(tree.at("/estimate/gpu_hours").asDouble()).isEqualTo(0.016);
        assertThat(tree.at("/tracking/mlflow.run_id").asString()).isEqualTo("abc");
        assertThat(tree.has("finished_at")).as("nulls are left out").isFalse();
    }

    @Test
    void toBuilder_changesOnlyWhatItSets() {
        Job job = job();
        Job paused = job.toBuilder().status(JobStatus.PAUSED).pauseRequested(false).build();
        assertThat(paused.status()).isEqualTo(JobStatus.PAUSED);
        assertThat(paused.pauseRequested()).isFalse();
        assertThat(paused.toBuilder().status(JobStatus.RUNNING).pauseRequested(true).build()).isEqualTo(job);
        assertThat(paused).isNotEqualTo(job);
        assertThat(paused.estimate()).isEqualTo(job.estimate());
    }

    @Test
    void jsonWrittenBeforeAFieldExisted_stillReads() {
        String old = Json.write(job()).replace("\"pause_requested\":true,", "");
        assertThat(old).doesNotContain("pause_requested");
        Job read = Json.MAPPER.readValue(old, Job.class);
        assertThat(read.pauseRequested()).isFalse();
        assertThat(read.id()).isEqualTo("ftjob-01");
    }

    @Test
    void aCostEstimateAndACheckpoint_readBackEqual() {
        CostEstimate e = estimate();
        assertThat(Json.MAPPER.readValue(Json.write(e), CostEstimate.class)).isEqualTo(e);
        Checkpoint c = Checkpoint.builder().id("ckpt-01").jobId("ftjob-01").tenant("acme").baseModel("org/m")
                .method("sft+lora").step(40).last(false).metrics(Map.of("loss", 0.5))
                .format(CheckpointFormat.PEFT_ADAPTER).files(List.of(new Checkpoint.File("adapter_model.safetensors",
                        10, "a".repeat(64)))).lineage(new Checkpoint.Lineage("b".repeat(64), Map.of(), null, null))
                .stage(CheckpointStage.DRAFT).createdAt(T).blobStore("file:///h/blobs").build();
        assertThat(Json.MAPPER.readValue(Json.write(c), Checkpoint.class)).isEqualTo(c);
        assertThat(c.size()).isEqualTo(10);
        assertThat(Json.MAPPER.readTree(Json.write(c)).get("final").asBoolean()).isFalse();
    }
}
