package dev.koder.training.sqlite;

import dev.koder.training.spi.OutboxStore;
import dev.koder.training.spi.OutboxStoreProvider;
import dev.koder.training.spi.PluginConfig;
import java.nio.file.Path;

/** The default OutboxStore: the home's {@code training.db}. */
public final class SqliteOutboxProvider extends SqlitePart<OutboxStore> implements OutboxStoreProvider {

    @Override
    OutboxStore open(Path file, PluginConfig config) {
        return SqliteOutbox.open(file);
    }
}
