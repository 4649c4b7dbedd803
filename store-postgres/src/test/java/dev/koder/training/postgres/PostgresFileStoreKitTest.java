package dev.koder.training.postgres;

import dev.koder.training.spi.FileStore;
import dev.koder.training.tck.FileStoreCompatibilityKit;
import java.nio.file.Path;

/** The file store kit against a real PostgreSQL server, each store with a pool of its own, as instances have. */
class PostgresFileStoreKitTest extends FileStoreCompatibilityKit {

    @Override
    protected FileStore openStore(Path dir) {
        return PostgresFileStore.open(PostgresServer.get().settings(dir), dir.resolve("shared-files"));
    }
}
