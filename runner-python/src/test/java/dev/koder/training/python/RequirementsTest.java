package dev.koder.training.python;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequirementsTest {

    @Test
    void parse_keepsPinsAndImportNames_andHashesTheText() {
        Requirements r = Requirements.parse("trl", "# comment\ntorch==2.13.0\nPyYAML==6.0.3  # import: yaml\n\n"
                + "typing-extensions>=4\n");
        assertThat(r.lines()).containsExactly("torch==2.13.0", "PyYAML==6.0.3", "typing-extensions>=4");
        assertThat(r.packages()).isEqualTo(Map.of("torch", "torch", "PyYAML", "yaml", "typing-extensions",
                "typing_extensions"));
        assertThat(r.pin("PyYAML")).isEqualTo("PyYAML==6.0.3");
        assertThat(r.hash()).hasSize(64).isEqualTo(Requirements.parse("other", r.text()).hash());
        assertThat(r.hash()).isNotEqualTo(Requirements.parse("trl", "torch==2.12.0\n").hash());
        assertThat(List.of(r.text().split("\n"))).hasSize(3);
    }
}
