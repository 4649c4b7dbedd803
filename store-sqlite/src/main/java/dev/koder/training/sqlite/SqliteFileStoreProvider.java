package dev.koder.training.sqlite;

import dev.koder.training.spi.FileStore;
import dev.koder.training.spi.FileStoreProvider;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.store.sql.SqlFileStore;
import java.nio.file.Path;

/** The default store of uploaded files: records in the home's {@code training.db}, contents in {@code <home>/files}. */
public final class SqliteFileStoreProvider extends SqlitePart<FileStore> implements FileStoreProvider {

    @Override
    FileStore open(Path file, PluginConfig config) {
        return SqliteFileStore.open(config.home(), SqlFileStore.folder(config));
    }
}
