package dev.koder.training.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.spi.JobScheduler.Start;
import dev.koder.training.spi.JobScheduler;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * What a {@link JobScheduler} that places GPU jobs on a pool's nodes must do besides {@link
 * JobSchedulerCompatibilityKit}'s rules: keep a job's GPUs on one node, of its type and memory, never give a GPU to
 * two jobs, and refuse at {@link JobScheduler#check} what no node can ever give. Extend it and implement
 * {@link #newScheduler()}.
 */
public abstract class GpuSchedulerCompatibilityKit extends JobSchedulerCompatibilityKit {

    /** GPU jobs on a pool. */
    @Nested
    class Gpus {
        @Test
        void aJobGetsAllItsGpusOnOneNode_andNoGpuGoesToTwoJobs() {
            JobScheduler s = newScheduler();
            s.pool(List.of(node("small", 2, 81_920), node("big", 4, 81_920)), 1);
            for (int i = 0; i < 6; i++) {
                s.enqueue(job("j" + i, i, i % 2 == 0 ? 1 : 2, 40));
            }
            List<Start> starts = new ArrayList<>(s.schedule(T0.plusSeconds(10)).starts());
            Map<String, Integer> sizes = Map.of("small", 2, "big", 4);
            Set<String> taken = new HashSet<>();
            int gpus = 0;
            for (Start st : starts) {
                int asked = Integer.parseInt(st.jobId().substring(1)) % 2 == 0 ? 1 : 2;
                assertThat(st.allocation().gpus()).as(st.jobId()).hasSize(asked).doesNotHaveDuplicates();
                for (int g : st.allocation().gpus()) {
                    assertThat(g).isBetween(0, sizes.get(st.allocation().node()) - 1);
                    assertThat(taken.add(st.allocation().node() + "/" + g)).as("GPU %s/%d given twice",
                            st.allocation().node(), g).isTrue();
                }
                gpus += asked;
            }
            assertThat(gpus).as("the pool's 6 GPUs are used as far as the jobs allow").isGreaterThanOrEqualTo(5);
            for (int i = 0; i < 6; i++) {
                String id = "j" + i;
                if (starts.stream().noneMatch(st -> st.jobId().equals(id))) {
                    assertThat(s.reason(id)).as(id).hasValueSatisfying(r -> assertThat(r).isNotBlank());
                }
            }
            Start first = starts.get(0);
            s.release(first.jobId());
            Set<String> stillHeld = new HashSet<>(taken);
            first.allocation().gpus().forEach(g -> stillHeld.remove(first.allocation().node() + "/" + g));
            for (Start st : s.schedule(T0.plusSeconds(20)).starts()) {
                for (int g : st.allocation().gpus()) {
                    assertThat(stillHeld).as("only free GPUs are given").doesNotContain(st.allocation().node() + "/" + g);
                }
            }
        }

        @Test
        void aJobNeedingMoreThanAnyNodeHas_isRefusedAtCheck_andAFittingOneIsNot() {
            JobScheduler s = newScheduler();
            s.pool(List.of(node("a", 2, 81_920), node("b", 2, 40_960)), 1);
            assertThat(s.check(job("three", 0, 3, 1))).isNotEmpty().allSatisfy(v -> {
                assertThat(v.pointer()).startsWith("/resources");
                assertThat(v.message()).isNotBlank();
            });
            assertThat(s.check(job("huge-memory", 0, 1, 100))).isNotEmpty();
            assertThat(s.check(job("fits", 0, 2, 60))).isEmpty();
            assertThat(s.check(job("cpu", 0, 0, 0))).isEmpty();
        }

        @Test
        void aJobGoesOnlyWhereEachGpuHasTheMemoryItNeeds() {
            JobScheduler s = newScheduler();
            s.pool(List.of(node("forty", 2, 40_960), node("eighty", 2, 81_920)), 1);
            s.enqueue(job("needs-60", 0, 2, 60));
            List<Start> starts = s.schedule(T0).starts();
            assertThat(starts).singleElement().satisfies(st -> assertThat(st.allocation().node()).isEqualTo("eighty"));
            s.enqueue(job("also-60", 1, 1, 60));
            assertThat(s.schedule(T0.plusSeconds(1)).starts()).as("the 40 GiB GPUs are free but too small").isEmpty();
        }
    }
}
