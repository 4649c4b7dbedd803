package dev.koder.training.sqlite;

import dev.koder.training.spi.FileStore;
import dev.koder.training.tck.FileStoreCompatibilityKit;
import java.nio.file.Path;

/** The embedded file store against the kit. */
class SqliteFileStoreKitTest extends FileStoreCompatibilityKit {

    @Override
    protected FileStore openStore(Path dir) {
        return SqliteFileStore.open(dir);
    }
}
