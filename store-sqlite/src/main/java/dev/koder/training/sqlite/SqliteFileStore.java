package dev.koder.training.sqlite;

import dev.koder.training.store.sql.SqlFileStore;
import java.nio.file.Path;

/** The records of uploaded files in the home's database, the embedded default; contents in {@code <home>/files}. */
public final class SqliteFileStore extends SqlFileStore {

    private SqliteFileStore(Path home, Path folder) {
        super(new SqliteSession(home.resolve(SqliteJobStoreProvider.FILE)), folder);
    }

    /** @param home the service's home @return its files, contents under {@code <home>/files} */
    public static SqliteFileStore open(Path home) {
        return open(home, home.resolve("files"));
    }

    /** @param home the service's home @param folder where the contents are @return its files */
    public static SqliteFileStore open(Path home, Path folder) {
        return new SqliteFileStore(home, folder);
    }
}
