package dev.koder.training.core.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against real files written by transformers and peft (src/test/resources/hf-artifacts). */
class SafetensorsHeaderTest {

    static final Path ARTIFACTS = Path.of("src/test/resources/hf-artifacts");

    @TempDir
    Path dir;

    @Test
    void readsTheTensorsOfAModelAndAnAdapter() throws IOException {
        SafetensorsHeader model = SafetensorsHeader.read(ARTIFACTS.resolve("tiny-llama/model.safetensors"));
        assertThat(model.parameters()).isEqualTo(106_816);
        assertThat(model.tensors().get("model.embed_tokens.weight").shape()).containsExactly(256L, 64L);
        assertThat(model.tensors().get("model.embed_tokens.weight").dtype()).isEqualTo("F64");
        assertThat(model.dataBytes()).isEqualTo(106_816L * 8);
        SafetensorsHeader adapter = SafetensorsHeader.read(ARTIFACTS.resolve("tiny-lora/adapter_model.safetensors"));
        assertThat(adapter.tensors()).hasSize(28);
        assertThat(adapter.parameters()).isEqualTo(8_192);
    }

    @Test
    void aTruncatedFile_isRefused_sayingSo() throws IOException {
        byte[] all = Files.readAllBytes(ARTIFACTS.resolve("tiny-llama/model.safetensors"));
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(all, all.length - 100));
        assertThatThrownBy(() -> SafetensorsHeader.read(cut)).isInstanceOf(IOException.class)
                .hasMessageContaining("is truncated: tensor");
        Path headerOnly = dir.resolve("header.safetensors");
        Files.write(headerOnly, Arrays.copyOf(all, 40));
        assertThatThrownBy(() -> SafetensorsHeader.read(headerOnly)).hasMessageContaining("is truncated: its header says");
    }

    @Test
    void aMalformedFile_isRefused_sayingWhy() throws IOException {
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> SafetensorsHeader.read(tiny)).hasMessageContaining("shorter than the 8-byte");
        Path huge = dir.resolve("huge.safetensors");
        Files.write(huge, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE).array());
        assertThatThrownBy(() -> SafetensorsHeader.read(huge)).hasMessageContaining("header length");
        byte[] json = "{\"w\": {\"dtype\": \"F32\"}}".getBytes();
        Path bad = dir.resolve("bad.safetensors");
        Files.write(bad, ByteBuffer.allocate(8 + json.length).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length)
                .put(json).array());
        assertThatThrownBy(() -> SafetensorsHeader.read(bad)).hasMessageContaining("tensor w lacks dtype, shape or "
                + "data_offsets");
    }
}
