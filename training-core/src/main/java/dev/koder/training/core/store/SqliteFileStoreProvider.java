package dev.koder.training.core.store;

import dev.koder.training.spi.FileStore;
import dev.koder.training.spi.FileStoreProvider;
import dev.koder.training.spi.PluginConfig;

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
        return SqliteFileStore.open(config.home(), SqliteFileStoreProvider.folder(config));
    }

    /** @param config the service's settings @return {@value FileStore#FOLDER_PROPERTY}, else {@code <home>/files} */
    public static java.nio.file.Path folder(PluginConfig config) {
        return config.text(FileStore.FOLDER_PROPERTY).map(d -> config.home().resolve(d))
                .orElse(config.home().resolve("files")).toAbsolutePath().normalize();
    }
}
