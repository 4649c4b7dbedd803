package dev.koder.training.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Tier;
import dev.koder.training.spi.Delivery;
import dev.koder.training.spi.OutboundSink;
import dev.koder.training.spi.Outbox;
import dev.koder.training.spi.OutboxMessage;
import dev.koder.training.spi.UsageRecord;
import dev.koder.training.spi.UsageSink;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link UsageSink} must do for billing, driven the way the service drives it: one record per trainer
 * attempt, handed over on a service thread.
 *
 * <ul>
 *   <li>every record reaches the destination with what billing needs: tenant, tier, job, attempt, GPU type and
 *       count, GPU-hours, and the price and cost when there is a price;</li>
 *   <li>a record handed over twice (an attempt's end told again) is there once, by its key
 *       ({@link UsageRecord#key()});</li>
 *   <li>{@code record} returns at once, also with the destination down ({@link #supportsOutage()}), and what was
 *       held back arrives once the destination is back, once each.</li>
 * </ul>
 *
 * <p>A sink that is an {@link OutboundSink} gets an outbox of the kit's own (in memory, with the service's rules:
 * one message a key, oldest first, a failed try repeated before anything later); the service's durable outbox is
 * tested with the service.
 */
public abstract class UsageSinkCompatibilityKit {

    /**
     * A record as the destination holds it, read back by the subclass.
     *
     * @param key its idempotency key
     * @param tenant who pays
     * @param tier the tier, or null
     * @param jobId the job
     * @param attempt the attempt
     * @param gpuType the GPU type
     * @param gpus GPUs held
     * @param gpuHours GPU-hours
     * @param pricePerGpuHour the price, or null
     * @param cost the cost, or null
     * @param currency the currency
     */
    public record Delivered(String key, String tenant, String tier, String jobId, int attempt, String gpuType,
            int gpus, double gpuHours, Double pricePerGpuHour, Double cost, String currency) {
    }

    private final List<UsageSink> made = new ArrayList<>();
    private final List<KitOutbox> outboxes = new ArrayList<>();

    /** @return a new sink */
    protected abstract UsageSink createSink();

    /** @return every record the destination holds, in the order it holds them */
    protected abstract List<Delivered> delivered();

    /** @return whether the destination can be taken down and brought back ({@link #outage}) */
    protected boolean supportsOutage() {
        return false;
    }

    /** @param down take the destination down (true) or bring it back (false) */
    protected void outage(boolean down) {
        throw new UnsupportedOperationException("no outage");
    }

    @AfterEach
    void closeSinks() {
        outboxes.forEach(KitOutbox::stop);
        made.forEach(UsageSink::close);
    }

    private UsageSink started() {
        UsageSink sink = createSink();
        made.add(sink);
        if (sink instanceof OutboundSink o) {
            KitOutbox box = new KitOutbox(o);
            outboxes.add(box);
            o.start(box);
            box.thread.start();
        }
        return sink;
    }

    /** @param job a job @param attempt an attempt @param gpus GPUs @param hours GPU-hours @return its record */
    protected static UsageRecord record(String job, int attempt, int gpus, double hours, Double price) {
        Instant end = Instant.parse("2026-12-01T12:00:00Z").plusSeconds(attempt * 3600L);
        double seconds = hours * 3600;
        return new UsageRecord("acme", job, attempt, gpus == 0 ? "cpu" : "H100", gpus, seconds, gpus == 0 ? 60
                : seconds / gpus, 1000L * attempt, end.minusSeconds((long) (gpus == 0 ? 60 : seconds / gpus)), end,
                attempt == 1 ? JobStatus.FAILED : JobStatus.SUCCEEDED, Tier.PRO, price, "USD");
    }

    private List<Delivered> await(int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<Delivered> got = delivered();
        while (got.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
            got = delivered();
        }
        return got;
    }

    @Test
    void everyRecord_arrivesWithWhatBillingNeeds() throws Exception {
        UsageSink sink = started();
        sink.record(record("ftjob-a", 1, 8, 2.0, 2.5));
        sink.record(record("ftjob-a", 2, 8, 6.0, 2.5));
        sink.record(record("ftjob-b", 1, 0, 0, null));
        List<Delivered> got = await(3);
        assertThat(got).extracting(Delivered::key).containsExactlyInAnyOrder("usage/ftjob-a/1", "usage/ftjob-a/2",
                "usage/ftjob-b/1");
        Delivered second = got.stream().filter(d -> d.key().equals("usage/ftjob-a/2")).findFirst().orElseThrow();
        assertThat(second.tenant()).isEqualTo("acme");
        assertThat(second.tier()).isEqualTo("pro");
        assertThat(second.jobId()).isEqualTo("ftjob-a");
        assertThat(second.attempt()).isEqualTo(2);
        assertThat(second.gpuType()).isEqualTo("H100");
        assertThat(second.gpus()).isEqualTo(8);
        assertThat(second.gpuHours()).isCloseTo(6.0, within(1e-9));
        assertThat(second.pricePerGpuHour()).isEqualTo(2.5);
        assertThat(second.cost()).isCloseTo(15.0, within(1e-9));
        assertThat(second.currency()).isEqualTo("USD");
        Delivered cpu = got.stream().filter(d -> d.key().equals("usage/ftjob-b/1")).findFirst().orElseThrow();
        assertThat(cpu.gpuHours()).isZero();
        assertThat(cpu.cost()).as("no price, no cost").isNull();
    }

    @Test
    void aRecordHandedOverTwice_isThereOnce() throws Exception {
        UsageSink sink = started();
        UsageRecord r = record("ftjob-c", 1, 1, 0.5, 3.0);
        sink.record(r);
        sink.record(r);
        sink.record(record("ftjob-c", 2, 1, 0.25, 3.0));
        List<Delivered> got = await(2);
        Thread.sleep(300);
        assertThat(delivered()).extracting(Delivered::key).containsExactly("usage/ftjob-c/1", "usage/ftjob-c/2");
        assertThat(got).isNotEmpty();
    }

    @Test
    void withTheDestinationDown_recordReturnsAtOnce_andEverythingArrivesOnceItIsBack() throws Exception {
        if (!supportsOutage()) {
            return;
        }
        UsageSink sink = started();
        outage(true);
        long t0 = System.nanoTime();
        for (int attempt = 1; attempt <= 5; attempt++) {
            sink.record(record("ftjob-d", attempt, 2, attempt, 1.0));
        }
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("record never waits on the destination")
                .isLessThan(Duration.ofSeconds(1));
        Thread.sleep(300);
        assertThat(delivered()).isEmpty();
        outage(false);
        List<Delivered> got = await(5);
        Thread.sleep(300);
        assertThat(delivered()).extracting(Delivered::attempt).containsExactly(1, 2, 3, 4, 5);
        assertThat(got).hasSize(5);
    }

    /** The kit's outbox: in memory, one message a key, sent oldest first, a failed try repeated first. */
    private static final class KitOutbox implements Outbox {
        private final OutboundSink sink;
        private final Map<String, OutboxMessage> pending = new LinkedHashMap<>();
        private final java.util.Set<String> known = new java.util.HashSet<>();
        private volatile boolean stopping;
        final Thread thread;

        KitOutbox(OutboundSink sink) {
            this.sink = sink;
            this.thread = new Thread(this::run, "kit-outbox");
            thread.setDaemon(true);
        }

        @Override
        public synchronized boolean append(OutboxMessage message) {
            if (known.add(message.key())) {
                pending.put(message.key(), message);
            }
            return true;
        }

        @Override
        public synchronized long pending() {
            return pending.size();
        }

        void stop() {
            stopping = true;
            thread.interrupt();
        }

        private void run() {
            int attempt = 1;
            while (!stopping) {
                OutboxMessage next;
                synchronized (this) {
                    next = pending.isEmpty() ? null : pending.values().iterator().next();
                }
                if (next == null) {
                    pause(20);
                    continue;
                }
                Delivery d;
                try {
                    d = sink.deliver(next, attempt);
                } catch (RuntimeException e) {
                    d = Delivery.retry(e.toString(), null);
                }
                if (d.outcome() == Delivery.Outcome.RETRY) {
                    attempt++;
                    pause(50);
                    continue;
                }
                synchronized (this) {
                    pending.remove(next.key());
                }
                attempt = 1;
            }
        }

        private void pause(long ms) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                stopping = true;
            }
        }
    }
}
