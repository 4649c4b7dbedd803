package dev.koder.training.axolotl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The schema this module ships and the examples its golden tests read are byte for byte the upstream files of
 * axolotl 0.18.0: their SHA-256, taken from the project's reference data when they were copied in, is kept in
 * {@code axolotl-examples/upstream.sha256}, so neither can drift from what was recorded.
 */
class AxolotlReferenceTest {

    @Test
    void theShippedSchemaAndTheExamples_areTheUpstreamFiles() throws Exception {
        List<String> lines;
        try (InputStream in = getClass().getResourceAsStream("/axolotl-examples/upstream.sha256")) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        }
        assertThat(lines).hasSize(6);
        for (String line : lines) {
            String[] parts = line.split("\\s+", 2);
            String name = parts[1];
            try (InputStream in = name.endsWith(".schema.json") ? AxolotlSchema.class.getResourceAsStream(name)
                    : getClass().getResourceAsStream("/axolotl-examples/" + name)) {
                assertThat(in).as(name).isNotNull();
                assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(in.readAllBytes())))
                        .as(name).isEqualTo(parts[0]);
            }
        }
    }
}
