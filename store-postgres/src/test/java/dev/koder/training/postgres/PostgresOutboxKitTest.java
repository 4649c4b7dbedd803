package dev.koder.training.postgres;

import dev.koder.training.spi.OutboxStore;
import dev.koder.training.tck.OutboxStoreCompatibilityKit;
import java.nio.file.Path;

/** The OutboxStore kit against a real PostgreSQL server, each store with a pool of its own, as instances have. */
class PostgresOutboxKitTest extends OutboxStoreCompatibilityKit {

    @Override
    protected OutboxStore openStore(Path dir) {
        return PostgresOutbox.open(PostgresServer.get().settings(dir));
    }
}
