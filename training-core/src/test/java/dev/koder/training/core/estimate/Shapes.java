package dev.koder.training.core.estimate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Model shapes for estimator tests: a folder with a Llama config.json, read as the service reads a model. */
final class Shapes {

    private Shapes() {
    }

    static ModelShape llama(Path dir, String name, int hidden, int layers, int heads, int kv, int intermediate,
            int vocab) throws IOException {
        Path d = dir.resolve(name);
        Files.createDirectories(d);
        Files.writeString(d.resolve("config.json"), String.format("{\"model_type\":\"llama\",\"hidden_size\":%d,"
                + "\"num_hidden_layers\":%d,\"num_attention_heads\":%d,\"num_key_value_heads\":%d,"
                + "\"intermediate_size\":%d,\"vocab_size\":%d,\"tie_word_embeddings\":false}", hidden, layers, heads, kv,
                intermediate, vocab));
        return ModelShape.read(d);
    }
}
