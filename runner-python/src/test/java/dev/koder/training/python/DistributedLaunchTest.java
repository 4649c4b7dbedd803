package dev.koder.training.python;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Resources;
import dev.koder.training.api.Strategy;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.spi.RunContext;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DistributedLaunchTest {

    static JobSpec spec(Resources resources) {
        return JobSpec.builder().name("j").tenant("t").baseModel("/models/m").method(TrainingMethod.sftFull())
                .trainingData(DatasetRef.of("/data/train.jsonl", DatasetFormat.CHAT)).resources(resources).build();
    }

    static RunContext context(List<Integer> gpus) {
        Path w = Path.of("/jobs/j");
        return new RunContext("j", 1, w, w.resolve("events.jsonl"), w.resolve("output"), w.resolve("logs/o"),
                w.resolve("logs/attempt-1.stderr.log"), Optional.empty(), gpus, null);
    }

    @Test
    void oneProcess_runsThePythonCommandAsItIs() {
        List<String> args = List.of("-u", "/jobs/j/python/train.py", "/jobs/j/args.json");
        assertThat(DistributedLaunch.command(Path.of("/venv/bin/python"), args, 1, Path.of("/logs")))
                .containsExactly("/venv/bin/python", "-u", "/jobs/j/python/train.py", "/jobs/j/args.json");
        assertThat(DistributedLaunch.environment(1)).isEmpty();
        assertThat(DistributedLaunch.parameters(spec(Resources.gpus(1)), 1)).containsOnlyKeys("world_size");
    }

    @Test
    void severalGpus_startOneRankEach_throughTorchrunWithARendezvousOfTheirOwn() {
        JobSpec spec = spec(Resources.builder().gpus(4).strategy(Strategy.FSDP).build());
        int world = DistributedLaunch.worldSize(spec, context(List.of(4, 5, 6, 7)), 1);
        assertThat(world).isEqualTo(4);
        List<String> command = DistributedLaunch.command(Path.of("/venv/bin/python"),
                List.of("-u", "/jobs/j/python/train.py", "/jobs/j/args.json"), world, Path.of("/jobs/j/logs/ranks"));
        // --standalone: the node gives the rendezvous a free port, so two jobs on one node never share one
        assertThat(command).containsSubsequence("/venv/bin/python", "-m", "torch.distributed.run", "--standalone",
                "--nproc-per-node", "4", "--max-restarts", "0", "--role", "rank", "--tee", "3", "--log-dir",
                "/jobs/j/logs/ranks", "/jobs/j/python/train.py", "/jobs/j/args.json");
        assertThat(command).doesNotContain("-u", "--master-port");
        assertThat(DistributedLaunch.parameters(spec, world)).containsEntry("world_size", 4)
                .containsEntry("strategy", "fsdp").containsEntry("collective_timeout_seconds", 600);
        assertThat(DistributedLaunch.environment(world)).containsEntry("TORCH_ELASTIC_SHUTDOWN_TIMEOUT", "3600");
    }

    @Test
    void aModuleEntryPoint_isPassedAsAModule_andAStrategyLeftToTheServiceIsDdp() {
        assertThat(DistributedLaunch.command(Path.of("py"), List.of("-m", "axolotl.cli.train", "cfg.yaml"), 2,
                Path.of("/l"))).endsWith("--module", "axolotl.cli.train", "cfg.yaml");
        assertThat(DistributedLaunch.parameters(spec(Resources.gpus(2)), 2)).containsEntry("strategy", "ddp");
        assertThat(DistributedLaunch.worldSize(spec(Resources.cpu()), context(List.of()), 2)).isEqualTo(2);
        assertThat(DistributedLaunch.worldSize(spec(Resources.gpus(2)), context(List.of()), 1)).isEqualTo(2);
    }
}
