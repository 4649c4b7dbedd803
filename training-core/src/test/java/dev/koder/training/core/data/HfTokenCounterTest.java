package dev.koder.training.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.spi.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * DJL's tokenizer binding must count exactly what Python's {@code tokenizers} counts on the same
 * tokenizer.json. The expected counts were written by Python's tokenizers (see make_tokenizer.py beside the
 * fixture); they include texts past DJL's default 512-token truncation.
 */
class HfTokenCounterTest {

    static final Path FIXTURE = Path.of("src/test/resources/tokenizer");

    @Test
    void countsMatchPythonTokenizers_includingTextsPast512Tokens() throws Exception {
        JsonNode expected = Json.MAPPER.readTree(Files.readString(FIXTURE.resolve("expected-counts.json")));
        try (TokenCounter counter = HfTokenCounter.open(FIXTURE.resolve("tokenizer.json"))) {
            assertThat(counter.exact()).isTrue();
            for (JsonNode probe : expected) {
                assertThat(counter.count(probe.get("text").asString())).as(probe.get("text").asString())
                        .isEqualTo(probe.get("tokens").asLong());
            }
            assertThat(expected.findValuesAsString("tokens").stream().mapToLong(Long::parseLong).max().orElse(0))
                    .isGreaterThan(512);
        }
    }

    @Test
    void forModel_isExactOnlyForALocalFolderWithATokenizer(@TempDir Path dir) throws Exception {
        Files.copy(FIXTURE.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        try (TokenCounter local = HfTokenCounter.forModel(dir.toString());
                TokenCounter hub = HfTokenCounter.forModel("meta-llama/Llama-3.2-1B");
                TokenCounter bare = HfTokenCounter.forModel(dir.resolve("missing").toString())) {
            assertThat(local.exact()).isTrue();
            assertThat(hub.exact()).isFalse();
            assertThat(bare.exact()).isFalse();
        }
    }

    @Test
    void theBundledCpuBuildIsLoaded_evenOnAHostWithCuda() throws Exception {
        // Seen on an H200 host: DJL picked its CUDA build, tried to download it offline and failed every job.
        try (TokenCounter counter = HfTokenCounter.open(FIXTURE.resolve("tokenizer.json"))) {
            assertThat(System.getProperty(HfTokenCounter.FLAVOR)).isEqualTo(System.getenv(HfTokenCounter.FLAVOR) == null
                    ? "cpu" : null);
        }
    }

    @Test
    void aBrokenTokenizerFileIsAnError_aMissingNativeLibraryIsNot(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"not\": \"a tokenizer\"}");
        assertThatThrownBy(() -> HfTokenCounter.forModel(dir.toString())).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining(dir.resolve("tokenizer.json").toString());
        assertThat(HfTokenCounter.nativeLibraryMissing(new UncheckedIOException("Cannot load tokenizer x",
                new IOException(new IllegalStateException("Failed to load Huggingface native library."))))).isTrue();
        assertThat(HfTokenCounter.nativeLibraryMissing(new UncheckedIOException("x",
                new IOException(new UnsatisfiedLinkError("libtokenizers.so"))))).isTrue();
        assertThat(HfTokenCounter.nativeLibraryMissing(new UncheckedIOException("x",
                new IOException("data did not match any variant")))).isFalse();
    }
}
