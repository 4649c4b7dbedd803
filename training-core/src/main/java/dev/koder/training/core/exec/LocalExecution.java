package dev.koder.training.core.exec;

import dev.koder.training.spi.Execution;
import dev.koder.training.spi.ExitStatus;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/** A trainer process started or re-attached by {@link LocalExecutor}. */
final class LocalExecution implements Execution {

    private final ProcessHandle handle;
    private final boolean group;
    private final String ref;
    private final CompletableFuture<ExitStatus> exit;
    private final MemoryCgroup cgroup;
    private final long limit;

    LocalExecution(ProcessHandle handle, Process process, boolean group) {
        this(handle, process, group, null, -1);
    }

    LocalExecution(ProcessHandle handle, Process process, boolean group, MemoryCgroup cgroup, long limit) {
        this.cgroup = cgroup;
        this.limit = limit;
        this.handle = handle;
        this.group = group;
        this.ref = LocalExecutor.ref(handle);
        CompletableFuture<ExitStatus> ended = process != null
                ? process.onExit().thenApply(p -> new ExitStatus(p.exitValue()))
                : handle.onExit().thenApply(h -> ExitStatus.UNKNOWN);
        // Whatever the trainer left running in its group goes with it.
        this.exit = ended.thenApply(status -> {
            if (group) {
                LocalExecutor.signalGroup(handle.pid(), "KILL");
            }
            if (cgroup != null) {
                cgroup.close();
            }
            return status;
        });
    }

    @Override
    public java.util.List<Long> localProcesses() {
        java.util.List<Long> pids = new java.util.ArrayList<>();
        if (handle.isAlive()) {
            pids.add(handle.pid());
        }
        handle.descendants().forEach(d -> pids.add(d.pid()));
        return pids;
    }

    @Override
    public OptionalLong oomKills() {
        return cgroup == null ? OptionalLong.empty() : cgroup.oomKills();
    }

    @Override
    public OptionalLong peakMemoryBytes() {
        return cgroup == null ? OptionalLong.empty() : cgroup.peakBytes();
    }

    @Override
    public OptionalLong memoryLimitBytes() {
        return cgroup == null ? OptionalLong.empty() : OptionalLong.of(limit);
    }

    @Override
    public String ref() {
        return ref;
    }

    @Override
    public boolean isAlive() {
        if (handle.isAlive()) {
            return true;
        }
        return group && LocalExecutor.signalGroup(handle.pid(), "0");
    }

    @Override
    public void terminate() {
        if (!group || !LocalExecutor.signalGroup(handle.pid(), "TERM")) {
            handle.destroy();
        }
    }

    @Override
    public void kill() {
        // Taken before anything dies: children in sessions of their own (a launcher's ranks) are outside the group,
        // and once the trainer is gone they are no longer its descendants.
        List<ProcessHandle> descendants = handle.descendants().toList();
        if (group) {
            LocalExecutor.signalGroup(handle.pid(), "KILL");
        }
        descendants.forEach(ProcessHandle::destroyForcibly);
        handle.destroyForcibly();
    }

    @Override
    public CompletableFuture<ExitStatus> onExit() {
        return exit;
    }

    @Override
    public String toString() {
        return "pid " + handle.pid();
    }
}
