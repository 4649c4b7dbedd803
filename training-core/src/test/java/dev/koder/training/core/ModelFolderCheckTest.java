package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Violation;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A base model folder is checked before training: a weights file cut short is refused at validate. */
class ModelFolderCheckTest {

    @TempDir
    Path dir;

    static void safetensors(Path file, int dataBytes) throws Exception {
        byte[] header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[0,64]}}"
                .getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        Files.write(file, b.array());
    }

    @Test
    void aTruncatedWeightsFile_isRefused_namingItAndHowShortItIs() throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"llama\"}");
        safetensors(dir.resolve("model-00001-of-00002.safetensors"), 64);
        assertThat(JobValidation.checkModel(dir.toString())).isEmpty();
        safetensors(dir.resolve("model-00002-of-00002.safetensors"), 20);
        List<Violation> problems = JobValidation.checkModel(dir.toString());
        assertThat(problems).singleElement().satisfies(v -> {
            assertThat(v.pointer()).isEqualTo("/base_model");
            assertThat(v.message()).contains("model-00002-of-00002.safetensors is truncated")
                    .contains("ends at byte 64 of the data section, which has 20").contains("copy the model again");
        });
    }
}
