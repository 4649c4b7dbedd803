package dev.koder.training.sqlite;

import dev.koder.training.spi.AccessKeyStore;
import dev.koder.training.tck.AccessKeyStoreCompatibilityKit;
import java.nio.file.Path;

/** The embedded key store against the kit. */
class SqliteAccessKitTest extends AccessKeyStoreCompatibilityKit {

    @Override
    protected AccessKeyStore openStore(Path dir) {
        return SqliteAccess.open(dir);
    }
}
