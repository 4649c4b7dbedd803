package dev.koder.training.core.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.koder.training.api.EstimateCheck;
import dev.koder.training.api.EstimateHistory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The error distribution of estimates, by method and device. */
class EstimateHistoryTest {

    static EstimateCheck check(String method, String device, double estWall, double wall, Double peak) {
        return new EstimateCheck("ftjob-" + wall, method, "trl", device, estWall, wall, 1000, 1200.0, 10, peak);
    }

    @Test
    void ratiosAreGroupedByMethodAndDevice_withTheirSpread() {
        EstimateHistory h = EstimateHistory.of(List.of(check("sft+lora", "H100", 100, 110, 12.0),
                check("sft+lora", "H100", 100, 130, 9.0), check("sft+lora", "H100", 100, 90, null),
                check("dpo+lora", "H100", 50, 100, 20.0)));
        assertThat(h.groups()).hasSize(2);
        EstimateHistory.Group lora = h.groups().get(0);
        assertThat(lora.method()).isEqualTo("sft+lora");
        assertThat(lora.jobs()).isEqualTo(3);
        assertThat(lora.wall().median()).isCloseTo(1.10, within(1e-9));
        assertThat(lora.wall().min()).isCloseTo(0.90, within(1e-9));
        assertThat(lora.wall().max()).isCloseTo(1.30, within(1e-9));
        assertThat(lora.wall().p90()).isCloseTo(1.26, within(1e-9));
        assertThat(lora.throughput().median()).isCloseTo(1.2, within(1e-9));
        assertThat(lora.memory().n()).as("only the jobs that measured a peak").isEqualTo(2);
        assertThat(h.groups().get(1).wall().median()).isCloseTo(2.0, within(1e-9));
    }
}
