package dev.koder.training.cli;

import dev.koder.training.api.GpuNode;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobStatus;
import dev.koder.training.core.Training;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine;

@Command(name = "pool", description = {"Show the GPU pool jobs are scheduled on: nodes, GPUs, memory, and the "
        + "running job on each GPU; and the CPU slots: jobs at once and threads each.",
        "The pool comes from NVML on this machine, or from training.gpus in <home>/training.properties."})
final class PoolCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() {
        try (Training training = common.client()) {
            List<GpuNode> nodes = training.gpuPool();
            List<Job> running = training.jobs().list(JobQuery.builder().status(JobStatus.RUNNING)
                    .limit(JobQuery.MAX_LIMIT).build()).items();
            Map<String, Job> byGpu = Render.jobsByGpu(running);
            List<Map<String, Object>> doc = nodes.stream().map(n -> {
                Map<String, Object> node = new LinkedHashMap<>();
                node.put("name", n.name());
                node.put("gpus", n.gpus().stream().map(g -> {
                    Map<String, Object> gpu = new LinkedHashMap<>();
                    gpu.put("index", g.index());
                    gpu.put("name", g.name());
                    gpu.put("memory_mib", g.memoryTotalMib());
                    gpu.put("memory_used_mib", g.memoryUsedMib());
                    gpu.put("utilization_percent", g.utilizationPercent());
                    Job job = byGpu.get(n.name() + "/" + g.index());
                    gpu.put("job", job == null ? null : job.id());
                    return gpu;
                }).toList());
                return node;
            }).toList();
            long cpuJobs = running.stream().filter(j -> j.spec().resources().gpus() == 0).count();
            Map<String, Object> cpu = new LinkedHashMap<>();
            cpu.put("slots", training.cpuSlots());
            cpu.put("threads_per_job", training.cpuThreadsPerJob());
            cpu.put("running", cpuJobs);
            Map<String, Object> all = new LinkedHashMap<>();
            all.put("nodes", doc);
            all.put("cpu", cpu);
            common.print(command.commandLine().getOut(), all, out -> {
                Render.pool(out, nodes, byGpu);
                Render.cpuSlots(out, training.cpuSlots(), training.cpuThreadsPerJob(), cpuJobs);
            });
        }
        return ExitCodes.OK;
    }
}
