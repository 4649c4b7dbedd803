package dev.koder.training.postgres;

import dev.koder.training.store.sql.SqlFileStore;
import java.nio.file.Path;

/**
 * The records of uploaded files in PostgreSQL, core's statements; the contents in a folder every instance shares
 * ({@code training.files.dir}), so a file uploaded through one instance is trained on by another.
 */
public final class PostgresFileStore extends SqlFileStore {

    private PostgresFileStore(PostgresSettings settings, Path folder) {
        super(PostgresDatabase.open(settings, "files"), folder);
    }

    /**
     * @param settings where the database is
     * @param folder where the contents are
     * @return the open store, its schema migrated
     * @throws dev.koder.training.api.StorageException when the database cannot be reached or migrated
     */
    public static PostgresFileStore open(PostgresSettings settings, Path folder) {
        return new PostgresFileStore(settings, folder);
    }
}
