package dev.koder.training.scheduler;

import dev.koder.training.scheduler.GpuPool.NodeState;
import dev.koder.training.scheduler.Queues.Level;
import dev.koder.training.spi.JobScheduler.Request;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * GPUs held for the first job of each level that cannot start: a node, its GPUs, and the earliest time they free up
 * from the running jobs' expected ends. A reservation stands from pass to pass while its job waits, so a node being
 * drained for a big job is not handed to whichever head comes next; other jobs may use its GPUs only if they end
 * before it (backfill).
 */
final class Reservations {

    /** GPUs on a node held for a job from a time on; {@code node} null when no node can hold it. */
    record Reservation(String jobId, Level level, NodeState node, Set<Integer> gpus, Instant at) {
    }

    private final GpuPool pool;
    /** Each level's head that could not start, and the GPUs held for it, kept from pass to pass. */
    final Map<Level, Reservation> standing = new EnumMap<>(Level.class);

    Reservations(GpuPool pool) {
        this.pool = pool;
    }

    /** @return the reservation with its time brought up to date, or null when its node can no longer hold it */
    Reservation renew(Reservation x, Request r, Instant now) {
        Set<Integer> gpus = new HashSet<>();
        Instant at = pool.readyAt(x.node(), r, now, null, gpus);
        return at == null ? null : new Reservation(x.jobId(), x.level(), x.node(), gpus, at);
    }

    /** @return GPUs for the job on the node where they free up soonest, among the nodes none of {@code taken} holds */
    Reservation reserve(Request r, Instant now, Level level, List<Reservation> taken) {
        NodeState bestNode = null;
        Instant bestAt = null;
        for (NodeState n : pool.nodes) {
            if (reservedBy(n, taken)) {
                continue;
            }
            Instant at = pool.readyAt(n, r, now, bestAt, null);
            if (at != null && (bestAt == null || at.isBefore(bestAt))) {
                bestNode = n;
                bestAt = at;
            }
        }
        if (bestNode == null) {
            return new Reservation(r.jobId(), level, null, Set.of(), null);
        }
        Set<Integer> gpus = new HashSet<>();
        pool.readyAt(bestNode, r, now, null, gpus);
        return new Reservation(r.jobId(), level, bestNode, gpus, bestAt);
    }

    static boolean reservedBy(NodeState n, List<Reservation> taken) {
        for (Reservation x : taken) {
            if (x.node() == n) {
                return true;
            }
        }
        return false;
    }

    /** @return free GPUs a reservation holds */
    static int reservedFree(Reservation reservation) {
        if (reservation == null || reservation.node() == null) {
            return 0;
        }
        int n = 0;
        for (int i : reservation.gpus()) {
            n += reservation.node().holder[i] == null ? 1 : 0;
        }
        return n;
    }

    /** @return whether a job started now ends before the reservation's time (so it may use its GPUs meanwhile) */
    static boolean endsBefore(Request r, Instant now, Reservation reservation) {
        return reservation.at() != null && !now.plus(r.expectedRuntime()).isAfter(reservation.at());
    }
}
