package dev.koder.training.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.Page;
import dev.koder.training.api.StoredFile;
import dev.koder.training.api.Uploads;
import dev.koder.training.spi.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What every {@link FileStore} must do: a file recorded through one store object is found by another on the same
 * place (as by another instance), only by its tenant, with every field as recorded and its path in the folder; pages
 * in both orders; a delete once. Extend it and implement {@link #openStore(Path)}.
 */
public abstract class FileStoreCompatibilityKit extends StoreKit<FileStore> {

    static final Instant T = Instant.parse("2026-12-01T10:00:00Z");

    static StoredFile file(FileStore s, String id, String tenant, String purpose, DatasetFormat format) {
        String ext = Uploads.RESULTS.equals(purpose) ? ".csv" : ".jsonl";
        return new StoredFile(id, tenant, id + ext, purpose, format, 123, 4, "ab".repeat(32), T.plusSeconds(
                id.hashCode() & 0xff), s.folder().resolve(id + ext));
    }

    @Test
    void aFileRecordedThroughOneInstance_isFoundByAnother_asRecorded_andOnlyByItsTenant() throws Exception {
        FileStore a = store();
        FileStore b = store();
        assertThat(Files.isDirectory(a.folder())).isTrue();
        assertThat(b.folder()).isEqualTo(a.folder());
        StoredFile chat = file(a, "file-0001", "acme", "fine-tune", DatasetFormat.CHAT);
        StoredFile retrieval = file(a, "file-0002", "acme", "fine-tune", null);
        StoredFile results = file(a, "file-0003", "acme", Uploads.RESULTS, null);
        for (StoredFile f : List.of(chat, retrieval, results)) {
            assertThat(a.insert(f)).isTrue();
            assertThat(b.get("acme", f.id())).as("file %s", f.id()).hasValue(f);
        }
        assertThat(a.insert(chat)).as("an id recorded already").isFalse();
        assertThat(b.get("globex", chat.id())).isEmpty();
        assertThat(b.get("acme", "file-none")).isEmpty();
    }

    @Test
    void pages_comeNewestOrOldestFirst_byPurpose_withACursor() {
        FileStore a = store();
        for (int i = 1; i <= 5; i++) {
            a.insert(file(a, "file-000" + i, "acme", i == 5 ? Uploads.RESULTS : "fine-tune", DatasetFormat.CHAT));
        }
        a.insert(file(a, "file-0009", "globex", "fine-tune", DatasetFormat.CHAT));
        FileStore b = store();
        Page<StoredFile> first = b.list("acme", null, false, null, 2);
        assertThat(first.items()).extracting(StoredFile::id).containsExactly("file-0005", "file-0004");
        assertThat(first.nextCursor()).isEqualTo("file-0004");
        Page<StoredFile> second = b.list("acme", null, false, first.nextCursor(), 2);
        assertThat(second.items()).extracting(StoredFile::id).containsExactly("file-0003", "file-0002");
        Page<StoredFile> last = b.list("acme", null, false, second.nextCursor(), 2);
        assertThat(last.items()).extracting(StoredFile::id).containsExactly("file-0001");
        assertThat(last.nextCursor()).isNull();
        assertThat(b.list("acme", "fine-tune", true, "file-0001", 10).items()).extracting(StoredFile::id)
                .containsExactly("file-0002", "file-0003", "file-0004");
        assertThat(b.list("acme", Uploads.RESULTS, true, null, 10).items()).extracting(StoredFile::id)
                .containsExactly("file-0005");
    }

    @Test
    void aDeletedFile_isGoneForEveryInstance_andDeletedOnce() {
        FileStore a = store();
        StoredFile f = file(a, "file-0001", "acme", "fine-tune", DatasetFormat.PROMPT_COMPLETION);
        a.insert(f);
        FileStore b = store();
        assertThat(b.markDeleted("globex", f.id(), T)).as("another tenant's").isFalse();
        assertThat(b.markDeleted("acme", f.id(), T)).isTrue();
        assertThat(a.markDeleted("acme", f.id(), T)).isFalse();
        assertThat(a.get("acme", f.id())).isEmpty();
        assertThat(a.list("acme", null, false, null, 10).items()).isEmpty();
    }
}
