package dev.koder.training.store.sql;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.Page;
import dev.koder.training.api.StoredFile;
import dev.koder.training.api.Uploads;
import dev.koder.training.api.WireName;
import dev.koder.training.spi.FileStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The records of uploaded files in a SQL database (table {@code files}), the statements every database runs; the
 * embedded one and PostgreSQL subclass it. Times in epoch milliseconds; the format column holds a dataset's format,
 * {@value #RETRIEVAL_FORMAT} for a file of a retrieval set or {@value #RESULTS_FORMAT} for a job's results.
 */
public class SqlFileStore implements FileStore {

    /** The format column of a file of a retrieval set (its StoredFile's format is null). */
    static final String RETRIEVAL_FORMAT = "retrieval";
    /** The format column of a job's results file. */
    static final String RESULTS_FORMAT = "csv";
    private static final String COLUMNS = "id, tenant, filename, purpose, format, bytes, examples, sha256, created_at";

    private final SqlTransactions session;
    private final Path folder;

    /**
     * @param session the database, its table {@code files} made
     * @param folder where the contents are; made when absent
     */
    protected SqlFileStore(SqlTransactions session, Path folder) {
        this.session = session;
        this.folder = folder.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.folder);
        } catch (IOException e) {
            session.close();
            throw new UncheckedIOException("cannot create the files folder " + this.folder + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Path folder() {
        return folder;
    }

    /**
     * @param config the service's settings
     * @return the folder of the contents: {@value FileStore#FOLDER_PROPERTY}, else {@code <home>/files}
     */
    public static Path folder(dev.koder.training.spi.PluginConfig config) {
        return config.text(FOLDER_PROPERTY).map(d -> config.home().resolve(d)).orElse(config.home().resolve("files"))
                .toAbsolutePath().normalize();
    }

    private static boolean results(String purpose) {
        return Uploads.RESULTS.equals(purpose);
    }

    @Override
    public boolean insert(StoredFile f) {
        String format = results(f.purpose()) ? RESULTS_FORMAT : f.format() == null ? RETRIEVAL_FORMAT
                : f.format().wireName();
        return session.update("INSERT INTO files (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                + "ON CONFLICT (id) DO NOTHING", f.id(), f.tenant(), f.filename(), f.purpose(), format, f.bytes(),
                f.examples(), f.sha256(), f.createdAt().toEpochMilli()) > 0;
    }

    @Override
    public Optional<StoredFile> get(String tenant, String id) {
        return session.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM files WHERE tenant = ? AND id = ? "
                    + "AND deleted_at IS NULL")) {
                s.setString(1, tenant);
                s.setString(2, id);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? Optional.of(row(rs)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public Page<StoredFile> list(String tenant, String purpose, boolean oldestFirst, String after, int limit) {
        return session.read(c -> {
            List<StoredFile> out = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM files WHERE tenant = ? AND "
                    + "deleted_at IS NULL" + (purpose == null ? "" : " AND purpose = ?")
                    + (after == null ? "" : oldestFirst ? " AND id > ?" : " AND id < ?") + " ORDER BY id "
                    + (oldestFirst ? "ASC" : "DESC") + " LIMIT ?")) {
                int i = 1;
                s.setString(i++, tenant);
                if (purpose != null) {
                    s.setString(i++, purpose);
                }
                if (after != null) {
                    s.setString(i++, after);
                }
                s.setInt(i, limit + 1);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        out.add(row(rs));
                    }
                }
            }
            boolean more = out.size() > limit;
            List<StoredFile> page = more ? out.subList(0, limit) : out;
            return new Page<>(List.copyOf(page), more ? page.get(page.size() - 1).id() : null);
        });
    }

    @Override
    public boolean markDeleted(String tenant, String id, Instant at) {
        return session.update("UPDATE files SET deleted_at = ? WHERE tenant = ? AND id = ? AND deleted_at IS NULL",
                at.toEpochMilli(), tenant, id) > 0;
    }

    private StoredFile row(ResultSet rs) throws SQLException {
        String id = rs.getString(1);
        String format = rs.getString(5);
        boolean csv = RESULTS_FORMAT.equals(format);
        return new StoredFile(id, rs.getString(2), rs.getString(3), rs.getString(4),
                csv || RETRIEVAL_FORMAT.equals(format) ? null : WireName.parse(DatasetFormat.class, format),
                rs.getLong(6), rs.getLong(7), rs.getString(8), Instant.ofEpochMilli(rs.getLong(9)),
                folder.resolve(id + (csv ? ".csv" : ".jsonl")));
    }

    @Override
    public void close() {
        session.close();
    }
}
