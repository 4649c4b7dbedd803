package dev.koder.training.sqlite;

import dev.koder.training.spi.OutboxStore;
import dev.koder.training.tck.OutboxStoreCompatibilityKit;
import java.nio.file.Path;

/** The embedded OutboxStore against the kit. */
class SqliteOutboxKitTest extends OutboxStoreCompatibilityKit {

    @Override
    protected OutboxStore openStore(Path dir) {
        return SqliteOutbox.open(dir.resolve(SqliteJobStoreProvider.FILE));
    }
}
