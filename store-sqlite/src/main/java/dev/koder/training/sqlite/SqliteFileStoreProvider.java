package dev.koder.training.sqlite;

import dev.koder.training.spi.FileStore;
import dev.koder.training.spi.FileStoreProvider;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.store.sql.SqlFileStore;

/** The default store of uploaded files: records in the home's {@code training.db}, contents in {@code <home>/files}. */
public final class SqliteFileStoreProvider implements FileStoreProvider {

    @Override
    public String name() {
        return "sqlite";
    }

    @Override
    public int priority() {
        return -100;
    }

    @Override
    public FileStore create(PluginConfig config) {
        return SqliteFileStore.open(config.home(), SqlFileStore.folder(config));
    }
}
