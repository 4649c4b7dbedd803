package dev.koder.training.api;

import java.nio.file.Path;
import java.time.Instant;

/**
 * An uploaded file the service keeps (OpenAI's File object).
 *
 * @param id {@code file-...}
 * @param tenant whose it is
 * @param filename the name the client gave
 * @param purpose what it is for ({@code fine-tune}, or {@code fine-tune-results} for a job's results file)
 * @param format the layout of its examples, detected from its first line (null for a results file)
 * @param bytes its size
 * @param examples its examples (rows of a results file)
 * @param sha256 its SHA-256
 * @param createdAt when it was uploaded
 * @param path where it is kept; never shown to a tenant
 */
public record StoredFile(String id, String tenant, String filename, String purpose, DatasetFormat format,
        long bytes, long examples, String sha256, Instant createdAt, Path path) {
}
