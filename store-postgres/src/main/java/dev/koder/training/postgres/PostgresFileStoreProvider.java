package dev.koder.training.postgres;

import dev.koder.training.spi.FileStore;
import dev.koder.training.spi.FileStoreProvider;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.store.sql.SqlFileStore;

/**
 * Uploaded files recorded in PostgreSQL, chosen with {@code training.store=postgres} (or {@code training.files=postgres});
 * their contents in {@value FileStore#FOLDER_PROPERTY} (default {@code <home>/files}, which instances share only when
 * it is on a shared filesystem). Ranked below the embedded store.
 */
public final class PostgresFileStoreProvider implements FileStoreProvider {

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public int priority() {
        return -200;
    }

    @Override
    public FileStore create(PluginConfig config) {
        return PostgresFileStore.open(PostgresSettings.from(config, System.getenv()),
                SqlFileStore.folder(config));
    }
}
