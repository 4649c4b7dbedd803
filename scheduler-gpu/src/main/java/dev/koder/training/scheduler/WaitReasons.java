package dev.koder.training.scheduler;

import dev.koder.training.scheduler.Queues.Level;
import dev.koder.training.spi.JobScheduler.Request;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Why a queued job waits, in words for people: kept as a small record by the pass that looked at the job, and put into
 * words only when someone asks ({@code needs 2 x GPU, 1 free on one node; 3 jobs ahead in pro or higher tiers;
 * expected to start by 14:20 UTC}).
 */
final class WaitReasons {

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC);

    /** What held a job back. */
    enum Kind {
        /** Its tenant runs as many jobs as it may. */
        TENANT_LIMIT,
        /** Every CPU slot is busy. */
        CPU_BUSY,
        /** Not enough GPUs that fit are free; {@code at} is when they are expected to be. */
        GPUS,
        /** GPUs are free but held for another job's reservation. */
        HELD
    }

    /**
     * Why a job did not start in the last pass.
     *
     * @param kind what held it back
     * @param ahead jobs ahead of it in its level and the levels above
     * @param level its level
     * @param heldFor the job GPUs are held for ({@link Kind#HELD})
     * @param at when it is expected to start, or when the held GPUs are due
     */
    record Wait(Kind kind, int ahead, Level level, String heldFor, Instant at) {
    }

    private WaitReasons() {
    }

    /**
     * @param r the job
     * @param w why it waited
     * @param tenantLimit its tenant's limit of running jobs
     * @param cpuSlots the pool's CPU slots
     * @param bestFree the most free GPUs that fit it on one node
     * @return the reason in words
     */
    static String describe(Request r, Wait w, int tenantLimit, int cpuSlots, int bestFree) {
        String queue = w.ahead() + " job" + (w.ahead() == 1 ? "" : "s") + " ahead in " + w.level().label()
                + (w.level() == Level.PROMOTED || w.level() == Level.ENTERPRISE ? "" : " or higher tiers");
        switch (w.kind()) {
            case TENANT_LIMIT:
                return "tenant " + r.tenant() + " already runs " + tenantLimit + " jobs, its limit";
            case CPU_BUSY:
                return "all " + cpuSlots + " CPU slot" + (cpuSlots == 1 ? " is" : "s are") + " busy; " + queue;
            default:
                break;
        }
        String need = "needs " + r.gpus() + " x " + (r.gpuType() == null ? "GPU" : r.gpuType())
                + (r.memoryGib() > 0 ? String.format(Locale.ROOT, " (%.0f GiB each)", r.memoryGib()) : "")
                + ", " + bestFree + " free on one node";
        if (w.kind() == Kind.HELD) {
            return need + "; " + queue + "; GPUs are held for job " + w.heldFor()
                    + (w.at() == null ? "" : " from " + CLOCK.format(w.at()) + " UTC");
        }
        return need + "; " + queue + (w.at() == null ? "" : "; expected to start by " + CLOCK.format(w.at()) + " UTC");
    }

    /** @return the reason of a job no pass has looked at yet */
    static String queued(Level level, int ahead) {
        return "queued in " + level.label() + " behind " + ahead + " job" + (ahead == 1 ? "" : "s");
    }

    static String gpus(int n) {
        return n + " GPU" + (n == 1 ? "" : "s");
    }

    static String of(Request r) {
        return r.gpuType() == null ? "" : " of type " + r.gpuType();
    }
}
