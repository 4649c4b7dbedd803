package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;

/**
 * A JSONL dataset: where it is and how its lines are laid out. A relative path is resolved against the
 * directory of the spec file it was read from (or the working directory for specs built in code).
 *
 * @param path file path of the JSONL data; required
 * @param format layout of each line; required
 */
public record DatasetRef(@JsonProperty("path") String path, @JsonProperty("format") DatasetFormat format) {

    /** Longest accepted path. */
    public static final int MAX_PATH_LENGTH = 4096;

    /**
     * @param path file path of the JSONL data
     * @param format layout of each line
     * @return the reference; checked when the job spec is built
     */
    public static DatasetRef of(String path, DatasetFormat format) {
        return new DatasetRef(path, format);
    }

    /**
     * @param path file of the JSONL data
     * @param format layout of each line
     * @return the reference; checked when the job spec is built
     */
    public static DatasetRef of(Path path, DatasetFormat format) {
        return new DatasetRef(path.toString(), format);
    }

    void check(Checks c, String at) {
        String p = Checks.at(at, "path");
        if (c.required(p, path)) {
            c.notBlank(p, path);
            c.maxLength(p, path, MAX_PATH_LENGTH);
        }
        c.required(Checks.at(at, "format"), format);
    }
}
