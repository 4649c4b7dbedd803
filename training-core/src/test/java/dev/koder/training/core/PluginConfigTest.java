package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.spi.PluginConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one reader of settings: values trimmed, blanks unset, every refusal in the same words. */
class PluginConfigTest {

    final PluginConfig config = new PluginConfig(Path.of("home"), Map.of("d", " PT0.5S ", "blank", "  ", "n", "42",
            "zero", "0", "word", "many", "neg", "-PT1S", "yes", "TRUE", "maybe", "perhaps"));

    @Test
    void valuesAreTrimmed_andABlankOneIsNotSet() {
        assertThat(config.duration("d", Duration.ZERO)).isEqualTo(Duration.ofMillis(500));
        assertThat(config.duration("blank", Duration.ofSeconds(3))).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.duration("absent", Duration.ofSeconds(3))).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.text("blank")).isEmpty();
        assertThat(config.positive("n", 1)).isEqualTo(42);
        assertThat(config.whole("zero", 5, 0, 10)).isZero();
        assertThat(config.flag("yes", false)).isTrue();
        assertThat(config.flag("absent", true)).isTrue();
    }

    @Test
    void aMalformedValue_isRefusedNamingThePropertyWhatItMustBeAndWhatItIs() {
        assertThatThrownBy(() -> config.duration("neg", Duration.ZERO))
                .hasMessage("property neg must be a positive ISO-8601 duration such as PT30S, got \"-PT1S\"");
        assertThatThrownBy(() -> config.duration("word", Duration.ZERO)).hasMessageContaining("got \"many\"");
        assertThatThrownBy(() -> config.positive("zero", 1))
                .hasMessage("property zero must be a whole number of 1 or more, got \"0\"");
        assertThatThrownBy(() -> config.whole("n", 1, 0, 10))
                .hasMessage("property n must be a whole number from 0 to 10, got \"42\"");
        assertThatThrownBy(() -> config.flag("maybe", false))
                .hasMessage("property maybe must be true or false, got \"perhaps\"");
    }
}
