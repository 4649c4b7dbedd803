package dev.koder.training.scheduler;

import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.core.Training;
import dev.koder.training.spi.AttemptPhase;
import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.NewEvent;
import dev.koder.training.spi.Updated;
import dev.koder.training.sqlite.SqliteJobStore;
import dev.koder.training.tck.ForwardingJobStore;
import dev.koder.training.tck.KitProcess;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * The service JVM of the chaos test: runs the jobs of a home on a pool of pretend GPUs, and dies on its own
 * (Runtime.halt, as a SIGKILL would) with a given chance at the moments of registration (right after a checkpoint
 * event is stored, before the registry files it) and of finishing (right after an attempt's FINISHING is stored,
 * before it is charged and its end stored). Arguments: home, seed, chance.
 */
public final class ChaosHost {

    static final String POOL = "local=4xNVIDIA H100 80GB HBM3@80";

    private ChaosHost() {
    }

    static Process start(Path home, long seed, double chance, Path log) throws java.io.IOException {
        return new ProcessBuilder(KitProcess.java(List.of("-Xmx256m"), ChaosHost.class, home.toString(),
                Long.toString(seed), Double.toString(chance)))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** Halts, by chance, after storing a checkpoint event or an attempt's FINISHING. */
    static final class HaltingStore extends ForwardingJobStore {
        final Random random;
        final double chance;

        HaltingStore(JobStore inner, Random random, double chance) {
            super(inner);
            this.random = random;
            this.chance = chance;
        }

        @Override
        public Optional<Updated> update(String id, JobStatus expected, JobUpdate update, List<NewEvent> events) {
            Optional<Updated> stored = inner.update(id, expected, update, events);
            boolean moment = update.phase() == AttemptPhase.FINISHING
                    || events.stream().anyMatch(e -> e.type().equals(JobEvent.TYPE_CHECKPOINT));
            if (stored.isPresent() && moment && random.nextDouble() < chance) {
                System.out.println("halting after " + (update.phase() == AttemptPhase.FINISHING ? "finishing"
                        : "registration") + " of " + id);
                System.out.flush();
                Runtime.getRuntime().halt(137);
            }
            return stored;
        }
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]);
        Files.createDirectories(home);
        JobStore store = new HaltingStore(SqliteJobStore.open(home.resolve("training.db"), Clock.systemUTC()),
                new Random(Long.parseLong(args[1])), Double.parseDouble(args[2]));
        Training training = Training.builder().home(home).runner(new ScriptedRunner()).jobStore(store)
                .property("training.gpus", POOL).maxConcurrentJobs(4).pollInterval(Duration.ofMillis(50))
                .reconcileInterval(Duration.ofSeconds(1)).poolRefresh(Duration.ZERO).build();
        if (!training.runsJobs()) {
            System.out.println("not the worker");
            System.exit(2);
        }
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
