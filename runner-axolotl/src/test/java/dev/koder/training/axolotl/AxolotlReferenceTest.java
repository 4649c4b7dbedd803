package dev.koder.training.axolotl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The schema this module ships and the examples its golden tests read are byte for byte the upstream files in
 * the project's shared reference data ({@code ../shared/reference/}, beside every checkout and CI run), so they
 * cannot drift from what was recorded from axolotl 0.18.0.
 */
class AxolotlReferenceTest {

    static final Path REFERENCE = Path.of("../../shared/reference").toAbsolutePath().normalize();

    @Test
    void theShippedSchemaAndTheExamples_areTheUpstreamFiles() throws Exception {
        assertThat(REFERENCE.resolve("axolotl-config.schema.json")).as("the shared reference data beside the "
                + "checkout (../shared/reference)").exists();
        try (InputStream in = AxolotlSchema.class.getResourceAsStream("axolotl-config.schema.json")) {
            assertThat(in.readAllBytes()).isEqualTo(Files.readAllBytes(REFERENCE.resolve("axolotl-config.schema.json")));
        }
        try (var files = Files.list(REFERENCE.resolve("axolotl-examples"))) {
            for (Path upstream : files.filter(p -> p.toString().endsWith("yml") || p.toString().endsWith("yaml")).toList()) {
                try (InputStream in = getClass().getResourceAsStream("/axolotl-examples/" + upstream.getFileName())) {
                    assertThat(in).as(upstream.getFileName().toString()).isNotNull();
                    assertThat(in.readAllBytes()).isEqualTo(Files.readAllBytes(upstream));
                }
            }
        }
    }
}
