package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The builder refuses settings that cannot work, naming the setting and the value, before anything starts. */
class TrainingBuilderTest {

    @Test
    void impossibleSettings_areRefusedWithTheirNames() {
        assertThatThrownBy(() -> Training.builder().cancelGracePeriod(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("cancelGracePeriod must be zero or more, got PT-1S");
        assertThatThrownBy(() -> Training.builder().shutdownGracePeriod(Duration.ofMillis(-5)))
                .hasMessageStartingWith("shutdownGracePeriod must be zero or more");
        assertThatThrownBy(() -> Training.builder().pollInterval(Duration.ZERO))
                .hasMessage("pollInterval must be more than zero, got PT0S");
        assertThatThrownBy(() -> Training.builder().poolRefresh(Duration.ofSeconds(-1))).hasMessageStartingWith(
                "poolRefresh must be zero or more");
        assertThatThrownBy(() -> Training.builder().approvedCacheFor(Duration.ofSeconds(-3)))
                .hasMessageStartingWith("approvedCacheFor must be zero or more");
        assertThatThrownBy(() -> Training.builder().maxIssues(0)).hasMessage("maxIssues must be at least 1, got 0");
        assertThatThrownBy(() -> Training.builder().maxConcurrentJobs(0)).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> Training.builder().quotaMargin(-0.1)).hasMessageContaining("0 or more");
        assertThatThrownBy(() -> Training.builder().clock(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("clock");
    }
}
