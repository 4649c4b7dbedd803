package dev.koder.training.postgres;

import dev.koder.training.spi.FileStore;
import dev.koder.training.tck.FileStoreCompatibilityKit;
import java.nio.file.Path;

/**
 * The file store kit against a real PostgreSQL server: the store objects of a test stand for instances, each change
 * on a connection of its own.
 */
class PostgresFileStoreKitTest extends FileStoreCompatibilityKit {

    @Override
    protected FileStore openStore(Path dir) {
        return PostgresFileStore.open(PostgresServer.get().settings(dir), dir.resolve("shared-files"));
    }
}
