package dev.koder.training.spi;

import dev.koder.training.api.Page;
import dev.koder.training.api.StoredFile;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * Where the records of uploaded files are kept, and the folder their contents live in. The service receives and
 * checks an upload, writes its content under {@link #folder()} as {@code <id>.jsonl} ({@code <id>.csv} for a job's
 * results file), then records it here; instances that share a store share the folder too (a shared filesystem), so a
 * file uploaded through one is found, and trained on, by another.
 *
 * <p>A record's kind follows from its fields: purpose {@code fine-tune-results} is a CSV results file, a null format
 * a file of a retrieval set, any other a dataset of that format.
 *
 * <p>The compatibility kit {@code FileStoreCompatibilityKit} in training-tck checks an implementation.
 */
public interface FileStore extends AutoCloseable {

    /** Property with the folder of uploaded files' contents, default {@code <home>/files}. */
    String FOLDER_PROPERTY = "training.files.dir";

    /** @return the folder the contents live in; it exists */
    Path folder();

    /**
     * Records a file whose content is in {@link #folder()} already.
     *
     * @param file the file (its path is not stored: it follows from the id and kind)
     * @return false when a file of that id is recorded already (nothing is changed then)
     */
    boolean insert(StoredFile file);

    /**
     * @param tenant whose
     * @param id a file id
     * @return the file, if it is this tenant's and not deleted
     */
    Optional<StoredFile> get(String tenant, String id);

    /**
     * @param tenant whose
     * @param purpose only files of this purpose, or null for all
     * @param oldestFirst whether the oldest comes first (else the newest); ids are time-ordered
     * @param after the id of the last file of the previous page, or null
     * @param limit at most this many
     * @return the tenant's files that are not deleted, in that order; the cursor is the last id when more may follow
     */
    Page<StoredFile> list(String tenant, String purpose, boolean oldestFirst, String after, int limit);

    /**
     * @param tenant whose
     * @param id a file id
     * @param at when
     * @return whether this call deleted it (false when it is unknown, another tenant's or deleted already)
     */
    boolean markDeleted(String tenant, String id, Instant at);

    /** Releases connections. */
    @Override
    void close();
}
