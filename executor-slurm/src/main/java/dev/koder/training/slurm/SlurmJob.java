package dev.koder.training.slurm;

import dev.koder.training.spi.ExitStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Slurm job as slurmrestd shows it.
 *
 * @param id the job id
 * @param state Slurm's state, for example {@code RUNNING} or {@code NODE_FAIL}
 * @param exitCode the raw wait status (exit 3 is 768; a signal is its number), or null while it runs
 * @param node the node it runs on, or null before it starts
 * @param gpus the GPU indexes Slurm gave it on that node (known while it runs)
 */
record SlurmJob(long id, String state, Integer exitCode, String node, List<Integer> gpus) {

    private static final Set<String> ACTIVE = Set.of("PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED",
            "REQUEUED", "RESIZING", "SIGNALING", "STAGE_OUT", "RESV_DEL_HOLD", "REQUEUE_FED", "REQUEUE_HOLD");
    private static final Pattern IDX = Pattern.compile("IDX:([0-9,\\-]+)");

    SlurmJob {
        gpus = List.copyOf(gpus);
    }

    /** @return whether the job is still queued or running in Slurm */
    boolean active() {
        return ACTIVE.contains(state);
    }

    /** @return whether it holds its node (started, not ended) */
    boolean running() {
        return "RUNNING".equals(state) || "COMPLETING".equals(state) || "SIGNALING".equals(state);
    }

    /**
     * How the trainer ended, from the job's final state and raw wait status: a signal becomes 128 + its number, as
     * local processes report it; states in which Slurm ended the job itself are passed on as its state
     * ({@code slurm:NODE_FAIL}), which the cause table turns into a cause.
     *
     * @return the exit
     */
    ExitStatus exit() {
        Integer code = null;
        if (exitCode != null) {
            int raw = exitCode;
            code = (raw & 0x7f) != 0 ? 128 + (raw & 0x7f) : (raw >> 8) & 0xff;
        }
        String reason = switch (state) {
            case "TIMEOUT" -> "Slurm ended job " + id + " at its time limit";
            case "NODE_FAIL" -> "Slurm job " + id + " lost its node " + (node == null ? "" : node + " ") + "(NODE_FAIL)";
            case "PREEMPTED" -> "Slurm preempted job " + id;
            case "BOOT_FAIL" -> "Slurm could not boot the node of job " + id;
            case "OUT_OF_MEMORY" -> "Slurm job " + id + " ran out of the memory it was given on " + (node == null
                    ? "its node" : node) + " (OUT_OF_MEMORY): raise DefMemPerCPU or the job's memory in Slurm, or "
                    + "lower micro_batch_size";
            case "DEADLINE" -> "Slurm ended job " + id + " at its deadline";
            case "CANCELLED" -> "Slurm job " + id + " was cancelled in Slurm";
            default -> null;
        };
        // the state is the evidence; which cause it is, the service's cause table says
        return reason == null ? new ExitStatus(code) : ExitStatus.ended(code, SlurmExecutor.STATE_PREFIX + state,
                reason);
    }

    /** Reads the indexes in a gres detail such as {@code gpu:2(IDX:0,2-3)}. */
    static List<Integer> indexes(List<String> gresDetail) {
        List<Integer> out = new ArrayList<>();
        for (String detail : gresDetail) {
            if (!detail.startsWith("gpu")) {
                continue;
            }
            Matcher m = IDX.matcher(detail);
            if (m.find()) {
                for (String part : m.group(1).split(",")) {
                    if (part.contains("-")) {
                        String[] range = part.split("-");
                        for (int i = Integer.parseInt(range[0]); i <= Integer.parseInt(range[1]); i++) {
                            out.add(i);
                        }
                    } else if (!part.isEmpty()) {
                        out.add(Integer.parseInt(part));
                    }
                }
            }
        }
        return out;
    }
}
