package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.spi.Backoff;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The one backoff of the service and its plugins. */
class BackoffTest {

    @Test
    void doubles_fromTheFirstWait_upToTheLongest() {
        Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofMinutes(1));
        assertThat(b.delay(0)).isEqualTo(Duration.ofMillis(500));
        assertThat(b.delay(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(b.delay(3)).isEqualTo(Duration.ofSeconds(4));
        assertThat(b.delay(7)).isEqualTo(Duration.ofMinutes(1));
        assertThat(b.delay(1_000_000)).as("no overflow").isEqualTo(Duration.ofMinutes(1));
        for (int i = 0; i < 50; i++) {
            assertThat(b.jittered(2)).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(2));
        }
        assertThat(Supervisor.RECORD_RETRY.delay(0)).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void refusesWaitsThatMakeNoSense() {
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 <= first <= max");
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1)).delay(-1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
