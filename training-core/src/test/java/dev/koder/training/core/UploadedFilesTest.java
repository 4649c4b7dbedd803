package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.sqlite.SqliteFileStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Uploads are checked as they arrive, kept whole or not at all, and scoped to their tenant. */
class UploadedFilesTest {

    static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
            + "{\"role\":\"assistant\",\"content\":\"HI\"}]}\n";

    @TempDir
    Path home;

    static InputStream of(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aBadExample_endsTheUploadThere_withoutReadingTheRest() throws IOException {
        InputStream neverRead = new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("the upload was read past its first bad example");
            }
        };
        // Enough good lines to fill the read buffer first, then a bad one, then a stream that must not be touched.
        InputStream upload = new SequenceInputStream(of(CHAT.repeat(2000) + "{\"messages\":[{\"role\":\"assistant\","
                + "\"content\":\"x\"}]}\n" + CHAT.repeat(2000)), neverRead);
        try (UploadedFiles files = new UploadedFiles(SqliteFileStore.open(home), java.time.Clock.systemUTC())) {
            assertThatThrownBy(() -> files.put("acme", "t.jsonl", "fine-tune", upload, 1 << 30))
                    .isInstanceOf(dev.koder.training.api.RejectedFileException.class).hasMessageStartingWith("line 2001: ");
            try (Stream<Path> left = Files.list(home.resolve("files"))) {
                assertThat(left).as("nothing half-stored").isEmpty();
            }
            var kept = files.put("acme", "t.jsonl", "fine-tune", of(CHAT.repeat(3)), 1 << 20);
            assertThat(kept.examples()).isEqualTo(3);
            assertThat(kept.format()).isEqualTo(DatasetFormat.CHAT);
            assertThat(Files.readString(kept.path())).isEqualTo(CHAT.repeat(3));
            assertThat(files.get("acme", kept.id())).isPresent();
            assertThat(files.get("globex", kept.id())).isEmpty();
            assertThat(files.list("globex", null, 10).items()).isEmpty();
            assertThat(files.delete("globex", kept.id())).isFalse();
            assertThat(files.delete("acme", kept.id())).isTrue();
            assertThat(kept.path()).doesNotExist();
            assertThatThrownBy(() -> files.put("acme", "big.jsonl", "fine-tune", of(CHAT.repeat(100)), 500))
                    .isInstanceOfSatisfying(dev.koder.training.api.RejectedFileException.class, e -> assertThat(e.tooLarge()).isTrue());
            assertThatThrownBy(() -> files.put("acme", "a/../b.jsonl", "fine-tune", of(CHAT), 1000))
                    .hasMessageContaining("without '/'");
            assertThatThrownBy(() -> files.put("acme", "t.jsonl", "batch", of(CHAT), 1000))
                    .hasMessageContaining("purpose must be one of [fine-tune]");
        }
    }
}
