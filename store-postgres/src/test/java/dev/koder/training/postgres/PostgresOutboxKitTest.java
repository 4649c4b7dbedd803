package dev.koder.training.postgres;

import dev.koder.training.spi.OutboxStore;
import dev.koder.training.tck.OutboxStoreCompatibilityKit;
import java.nio.file.Path;

/**
 * The OutboxStore kit against a real PostgreSQL server: the store objects of a test stand for instances, each change
 * on a connection of its own.
 */
class PostgresOutboxKitTest extends OutboxStoreCompatibilityKit {

    @Override
    protected OutboxStore openStore(Path dir) {
        return PostgresOutbox.open(PostgresServer.get().settings(dir));
    }
}
