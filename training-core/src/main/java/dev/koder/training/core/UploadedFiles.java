package dev.koder.training.core;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetIssue;
import dev.koder.training.api.DatasetReport;
import dev.koder.training.api.Page;
import dev.koder.training.api.RejectedFileException;
import dev.koder.training.api.Severity;
import dev.koder.training.api.StoredFile;
import dev.koder.training.core.blob.Digests;
import dev.koder.training.core.data.DatasetValidator;
import dev.koder.training.core.data.RetrievalSetValidator;
import dev.koder.training.core.internal.SortableIds;
import dev.koder.training.spi.FileStore;
import dev.koder.training.spi.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * Datasets uploaded for fine-tuning, per tenant: each is checked example by example with the same validator as
 * job specs' datasets before it is kept, and kept as {@code <id>.jsonl} in the {@link FileStore}'s folder, then
 * recorded in it (the name a client gave is a label only, never a path). A rejected, oversized or cut-off upload
 * leaves nothing behind.
 */
final class UploadedFiles implements AutoCloseable {

    /** Purposes files may be uploaded for. */
    public static final List<String> PURPOSES = List.of("fine-tune");

    private final FileStore store;
    private final Path dir;
    private final Clock clock;
    private final SortableIds ids = new SortableIds("file-");

    /** @param store where the files are recorded (closed with this) @param clock for their times */
    UploadedFiles(FileStore store, Clock clock) {
        this.store = store;
        this.dir = store.folder();
        this.clock = clock;
    }

    /**
     * Receives, checks and keeps an upload.
     *
     * @param tenant whose
     * @param filename the client's name for it
     * @param purpose what it is for
     * @param in its bytes
     * @param maxBytes the most it may hold
     * @return the kept file
     * @throws RejectedFileException when it is too large, not JSONL, of no known layout, or has an invalid example (the
     *     message names the first bad line)
     * @throws UncheckedIOException when it cannot be read to the end (a cut-off upload) or stored
     */
    public StoredFile put(String tenant, String filename, String purpose, InputStream in, long maxBytes) {
        if (filename == null || filename.isBlank() || filename.length() > 255 || filename.contains("/")
                || filename.contains("\\") || filename.contains("..") || filename.chars().anyMatch(ch -> ch < 0x20)) {
            throw new RejectedFileException("file", "the file name must be 1-255 characters without '/', '\\', '..' or control "
                    + "characters, got '" + (filename == null ? "" : filename.replaceAll("\\p{Cntrl}", "?")) + "'", false);
        }
        if (!PURPOSES.contains(purpose)) {
            throw new RejectedFileException("purpose", "purpose must be one of " + PURPOSES + ", got '" + purpose + "'", false);
        }
        String id = ids.next(clock.instant());
        Path tmp = dir.resolve("." + id + ".upload");
        try {
            MessageDigest sha = Digests.sha256();
            long[] bytes = {0};
            DatasetReport report;
            DatasetFormat format;
            // The bytes are kept as the validator reads them: each example is checked as it arrives, and the first
            // bad one ends the upload without reading the rest.
            try (OutputStream out = Files.newOutputStream(tmp)) {
                InputStream tee = new java.io.FilterInputStream(in) {
                    @Override
                    public int read() throws IOException {
                        byte[] one = new byte[1];
                        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        int n = super.read(b, off, len);
                        if (n > 0) {
                            bytes[0] += n;
                            if (bytes[0] > maxBytes) {
                                throw new RejectedFileException("file", "the file is larger than the " + maxBytes + " bytes "
                                        + "this server accepts", true);
                            }
                            sha.update(b, off, n);
                            out.write(b, off, n);
                        }
                        return n;
                    }
                };
                java.io.BufferedInputStream buffered = new java.io.BufferedInputStream(tee, 64 * 1024);
                buffered.mark(DatasetValidator.MAX_LINE_BYTES + 1);
                format = detect(buffered);
                buffered.reset();
                if (format == null) {
                    // a file of a retrieval set: kept whole, then checked on its own
                    buffered.transferTo(OutputStream.nullOutputStream());
                    report = null;
                } else {
                    report = DatasetValidator.builder().maxIssues(20).build().validate(buffered, filename, format,
                            true);
                }
            }
            if (report == null) {
                return retrievalFile(id, tenant, filename, purpose, tmp, bytes[0], Digests.hex(sha.digest()));
            }
            Optional<DatasetIssue> error = report.issues().stream().filter(i -> i.severity() == Severity.ERROR)
                    .findFirst();
            if (error.isPresent()) {
                DatasetIssue e = error.get();
                throw new RejectedFileException("file", (e.line() > 0 ? "line " + e.line() + ": " : "") + e.message()
                        + (e.pointer().isEmpty() ? "" : " (at " + e.pointer() + ")"), false);
            }
            Path kept = dir.resolve(id + ".jsonl");
            Files.move(tmp, kept, StandardCopyOption.ATOMIC_MOVE);
            return record(new StoredFile(id, tenant, filename, purpose, format, bytes[0], report.stats().examples(),
                    Digests.hex(sha.digest()), Instant.ofEpochMilli(clock.millis()), kept));
        } catch (IOException e) {
            throw new UncheckedIOException("the upload could not be received: " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort: a leftover .upload file is never listed
            }
        }
    }

    /** Records a file whose content is kept; when that fails, the content goes too. */
    private StoredFile record(StoredFile f) throws IOException {
        try {
            store.insert(f);
        } catch (RuntimeException e) {
            Files.deleteIfExists(f.path());
            throw e;
        }
        return f;
    }

    private StoredFile retrievalFile(String id, String tenant, String filename, String purpose, Path tmp, long bytes,
            String sha256) throws IOException {
        List<dev.koder.training.api.Violation> problems = new RetrievalSetValidator(1).file(tmp, filename);
        if (!problems.isEmpty()) {
            throw new RejectedFileException("file", problems.get(0).message(), false);
        }
        long entries;
        try (var lines = Files.lines(tmp, StandardCharsets.UTF_8)) {
            entries = lines.filter(l -> !l.isBlank()).count();
        }
        Path kept = dir.resolve(id + ".jsonl");
        Files.move(tmp, kept, StandardCopyOption.ATOMIC_MOVE);
        return record(new StoredFile(id, tenant, filename, purpose, null, bytes, entries, sha256,
                Instant.ofEpochMilli(clock.millis()), kept));
    }

    /**
     * @return the layout of the examples, from the keys of the first non-blank line; null for a file of a
     *     retrieval set (queries, corpus or judgements)
     */
    static DatasetFormat detect(InputStream in) throws IOException {
        BufferedReader r = new BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8), 8192);
        {
            int number = 0;
            for (String line; (line = r.readLine()) != null; ) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode row;
                try {
                    row = Json.MAPPER.readTree(line);
                } catch (RuntimeException e) {
                    throw new RejectedFileException("file", "line " + number + ": not valid JSON; each line must be one JSON "
                            + "object", false);
                }
                if (row == null || !row.isObject()) {
                    throw new RejectedFileException("file", "line " + number + ": not a JSON object", false);
                }
                DatasetFormat guessed = DatasetValidator.guess(row);
                if (guessed != null) {
                    return guessed;
                }
                if (RetrievalSetValidator.retrievalEntry(row)) {
                    return null;
                }
                throw new RejectedFileException("file", "line " + number + ": no known layout; expected \"messages\" (chat), "
                        + "\"input\" with \"preferred_output\" and \"non_preferred_output\" (preference), \"prompt\" "
                        + "and \"completion\", \"anchor\" and \"positive\" (pairs), \"query\" and \"document\" "
                        + "(scored-pairs), \"query\" and \"documents\" (groups), or a retrieval set's \"id\" and \"text\" "
                        + "(queries, corpus) or \"query_id\" and \"document_id\" (judgements)", false);
            }
        }
        throw new RejectedFileException("file", "the file holds no examples", false);
    }

    /**
     * @param tenant whose
     * @param after the id of the last file of the previous page, or null
     * @param limit at most this many
     * @return the tenant's files, newest first
     */
    public Page<StoredFile> list(String tenant, String after, int limit) {
        return list(tenant, null, false, after, limit);
    }

    /**
     * @param tenant whose
     * @param purpose only files of this purpose, or null for all
     * @param oldestFirst whether the oldest comes first (else the newest)
     * @param after the id of the last file of the previous page, or null
     * @param limit at most this many
     * @return the tenant's files in that order
     */
    public Page<StoredFile> list(String tenant, String purpose, boolean oldestFirst, String after, int limit) {
        return store.list(tenant, purpose, oldestFirst, after, limit);
    }

    /**
     * Keeps a job's results file ({@value #RESULTS_PURPOSE}), once: a second call with the same id returns the
     * first.
     *
     * @param tenant whose
     * @param id its id, derived from the job's
     * @param filename its name
     * @param csv its bytes
     * @param rows its data rows
     * @return the kept file
     */
    public StoredFile putResults(String tenant, String id, String filename, byte[] csv, long rows) {
        Optional<StoredFile> earlier = get(tenant, id);
        if (earlier.isPresent()) {
            return earlier.get();
        }
        Path target = dir.resolve(id + ".csv");
        Path tmp = dir.resolve("." + id + ".results");
        try {
            Files.write(tmp, csv);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        store.insert(new StoredFile(id, tenant, filename, RESULTS_PURPOSE, null, csv.length, rows,
                Digests.hex(Digests.sha256().digest(csv)), Instant.ofEpochMilli(clock.millis()), target));
        return get(tenant, id).orElseThrow();
    }

    /** The purpose of a job's results file. */
    public static final String RESULTS_PURPOSE = dev.koder.training.api.Uploads.RESULTS;

    /**
     * @param tenant whose
     * @param id a file id
     * @return the file, if it is this tenant's and not deleted
     */
    public Optional<StoredFile> get(String tenant, String id) {
        return store.get(tenant, id);
    }

    /**
     * Deletes a file (jobs that already started keep their copy).
     *
     * @return whether this tenant had it
     */
    public boolean delete(String tenant, String id) {
        boolean deleted = store.markDeleted(tenant, id, clock.instant());
        if (deleted) {
            try {
                Files.deleteIfExists(dir.resolve(id + ".jsonl"));
                Files.deleteIfExists(dir.resolve(id + ".csv"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return deleted;
    }

    @Override
    public void close() {
        store.close();
    }
}
