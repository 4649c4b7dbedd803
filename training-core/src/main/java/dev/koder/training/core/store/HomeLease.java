package dev.koder.training.core.store;

import dev.koder.training.api.StorageException;
import dev.koder.training.spi.WorkerLease;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The lease of the embedded store: an operating-system lock on {@code <home>/worker.lock}, which the holder's process
 * keeps for as long as it lives and loses the moment it dies (so its {@link #timeout()} is zero and a restarted
 * service takes over at once). The file says who holds it. Good for the processes of one host, which is all an
 * embedded SQLite home serves.
 */
public final class HomeLease implements WorkerLease {

    /** The lock file's name in the home. */
    public static final String FILE = "worker.lock";

    /**
     * The leases this JVM holds, by file. Closing any channel on a file drops every lock the process holds on it
     * (POSIX locks belong to the process), so no channel is opened on a file another instance of this JVM holds.
     */
    private static final java.util.Map<Path, HomeLease> HELD = new java.util.HashMap<>();

    private final Path file;
    private final String name;
    private FileChannel channel;
    private FileLock lock;

    /** @param home the home folder @param name this instance's name as a holder */
    public HomeLease(Path home, String name) {
        this.file = home.toAbsolutePath().normalize().resolve(FILE);
        this.name = name;
    }

    @Override
    public boolean tryAcquire() {
        synchronized (HELD) {
            HomeLease other = HELD.get(file);
            if (other != null) {
                return other == this && lock.isValid();
            }
            if (lock(file)) {
                HELD.put(file, this);
                return true;
            }
            return false;
        }
    }

    private boolean lock(Path file) {
        try {
            Files.createDirectories(file.getParent());
            FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock l = c.tryLock();
            if (l == null) {
                c.close();
                return false;
            }
            c.truncate(0);
            c.write(ByteBuffer.wrap((name + " since " + Instant.now() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            c.force(false);
            channel = c;
            lock = l;
            return true;
        } catch (IOException e) {
            throw new StorageException("Cannot lock " + file + ": " + e.getMessage(), false, e);
        }
    }

    @Override
    public boolean renew() {
        synchronized (HELD) {
            return HELD.get(file) == this && lock.isValid();
        }
    }

    @Override
    public Duration timeout() {
        return Duration.ZERO;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Optional<String> holder() {
        synchronized (HELD) {
            HomeLease here = HELD.get(file);
            return here != null ? Optional.of(here.name) : probe();
        }
    }

    private Optional<String> probe() {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock probe = c.tryLock();
            if (probe != null) {
                probe.release();
                return Optional.empty(); // nobody holds it: what the file says is a past holder's
            }
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            return Optional.of(text.isEmpty() ? "another process" : text);
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StorageException("Cannot read " + file + ": " + e.getMessage(), false, e);
        }
    }

    @Override
    public void release() {
        synchronized (HELD) {
            if (HELD.get(file) != this) {
                return;
            }
            HELD.remove(file);
            try {
                lock.release();
                channel.close();
            } catch (IOException e) {
                org.slf4j.LoggerFactory.getLogger(HomeLease.class).warn("cannot release {}: {}", file, e.toString());
            } finally {
                lock = null;
                channel = null;
            }
        }
    }

    @Override
    public void close() {
        release();
    }

    @Override
    public String toString() {
        return "lock file " + file;
    }
}
