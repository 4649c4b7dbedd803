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
public final class PostgresFileStoreProvider extends PostgresPart<FileStore> implements FileStoreProvider {

    @Override
    FileStore open(PostgresSettings settings, PluginConfig config) {
        return PostgresFileStore.open(settings,
                SqlFileStore.folder(config));
    }
}
