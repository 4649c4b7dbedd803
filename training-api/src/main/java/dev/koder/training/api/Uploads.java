package dev.koder.training.api;

import java.io.InputStream;
import java.util.Optional;

/** One tenant's uploaded files (OpenAI's Files): datasets to train on, and the results files of its jobs. */
public interface Uploads {

    /** The purpose of uploads for training. */
    String FINE_TUNE = "fine-tune";
    /** The purpose of a job's results file. */
    String RESULTS = "fine-tune-results";

    /**
     * @param filename the client's name for it
     * @param purpose {@value #FINE_TUNE}
     * @param in its bytes, read to the end unless an example is invalid
     * @param maxBytes the most it may hold
     * @return the kept file
     * @throws RejectedFileException when it is too large, not JSONL, or an example is invalid (the line is named);
     *     nothing is kept
     */
    StoredFile upload(String filename, String purpose, InputStream in, long maxBytes);

    /**
     * @param purpose only this purpose, or null for every file
     * @param oldestFirst the oldest first, else the newest
     * @param after the id of the previous page's last file, or null
     * @param limit most files
     * @return a page of this tenant's files
     */
    Page<StoredFile> list(String purpose, boolean oldestFirst, String after, int limit);

    /** @param id a file id @return this tenant's file with that id */
    Optional<StoredFile> get(String id);

    /** @param id a file id @return whether this tenant had it (it is gone now) */
    boolean delete(String id);

    /**
     * The results file of a succeeded job, made from its events the first time it is asked for, in OpenAI's
     * columns: {@code step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy} (a value is empty where
     * the trainer reported none at that step).
     *
     * @param job one of this tenant's jobs
     * @return the file, or empty while the job has not succeeded
     */
    Optional<StoredFile> results(Job job);
}
