package dev.koder.training.blob;

import dev.koder.training.spi.BlobFiles;
import dev.koder.training.spi.Backoff;
import dev.koder.training.spi.BlobStore;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.auth.scheme.S3AuthSchemeProvider;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Blobs in S3 or an S3-compatible store, under {@code <prefix>blobs/<sha256>}.
 *
 * <ul>
 *   <li>Files up to one part go in one PUT; larger ones in a multipart upload whose parts go up in parallel.
 *       Every part carries its Content-MD5, so the server refuses bytes that changed on the way, and the
 *       upload is completed only after the whole file's SHA-256 (read alongside) matches its key: until then
 *       nothing is visible under the key.</li>
 *   <li>Requests are retried by the SDK, and each part again by the store with exponential backoff and
 *       jitter.</li>
 *   <li>An unfinished multipart upload is remembered in {@link S3Settings#stateDir()}; storing the same blob
 *       again (after a crash or a restart) lists the parts already there and sends only the others.</li>
 *   <li>Downloads fetch ranges in parallel into a temporary file, verify its size and SHA-256 (kept in the
 *       object's metadata and in its key), and only then move it into place.</li>
 * </ul>
 */
public final class S3BlobStore implements BlobStore {

    private static final Logger LOG = LoggerFactory.getLogger(S3BlobStore.class);
    private static final String SHA_METADATA = "sha256";
    /** A part or request tried again: from 0.2 s, doubling, at most 5 s apart, with jitter. */
    static final Backoff RETRY = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5));
    private static final S3AuthSchemeProvider DEFAULT_AUTH = S3AuthSchemeProvider.defaultProvider();
    private static final Set<String> CHANGED_ON_THE_WAY = Set.of("BadDigest",
            "XAmzContentSHA256Mismatch");

    private final S3Settings settings;
    private final S3Client s3;
    private final ExecutorService pool;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    /**
     * @param settings where and how
     * @throws IOException when the upload state folder cannot be made
     */
    public S3BlobStore(S3Settings settings) throws IOException {
        this.settings = settings;
        Files.createDirectories(settings.stateDir());
        S3ClientBuilder b = S3Client.builder().region(Region.of(settings.region()))
                .forcePathStyle(settings.pathStyle())
                // Content-MD5 on every request that carries bytes, which every S3-compatible store checks; the
                // newer trailing checksums are not understood by all of them.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .serviceConfiguration(S3Configuration.builder().expectContinueEnabled(false)
                        .chunkedEncodingEnabled(false).build())
                // Every part carries its Content-MD5, so framing the payload in signed chunks, or signing it
                // (the SDK still does over plain HTTP), adds nothing but time.
                .authSchemeProvider(params -> DEFAULT_AUTH.resolveAuthScheme(params).stream()
                        .map(o -> o.toBuilder().putSignerProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false)
                                .putSignerProperty(AwsV4FamilyHttpSigner.CHUNK_ENCODING_ENABLED, false).build())
                        .toList())
                .httpClientBuilder(Apache5HttpClient.builder().maxConnections(settings.concurrency() * 2)
                        .connectionTimeout(settings.timeout()).socketTimeout(settings.timeout()))
                .overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(Math.min(3, settings.maxAttempts()))));
        if (settings.endpoint() != null) {
            b.endpointOverride(settings.endpoint());
        }
        if (settings.accessKey() != null) {
            b.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(),
                    settings.secretKey())));
        }
        this.s3 = b.build();
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(settings.concurrency(), r -> {
            Thread t = new Thread(r, "training-s3-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public String location() {
        return "s3://" + settings.bucket() + "/" + settings.prefix() + "blobs";
    }

    String key(String sha256) {
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("not a blob key (64 lowercase hex digits): " + sha256);
        }
        return settings.prefix() + "blobs/" + sha256;
    }

    @Override
    public Blob put(Path file, String sha256, LongConsumer progress) throws IOException {
        String key = key(sha256);
        // One upload of a blob at a time, across threads and processes sharing the state folder: a second one
        // waits and then finds the blob stored (or resumes what the first left).
        ReentrantLock local = locks.computeIfAbsent(sha256.substring(0, 2), k -> new ReentrantLock());
        local.lock();
        // Lock files are striped by the key's first two hex digits: at most 256 of them, never deleted.
        try (FileChannel lockFile = FileChannel.open(settings.stateDir().resolve("lock-" + sha256.substring(0, 2)),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock held = lockFile.lock()) {
            return putLocked(file, sha256, key, progress);
        } finally {
            local.unlock();
        }
    }

    private Blob putLocked(Path file, String sha256, String key, LongConsumer progress) throws IOException {
        long size = Files.size(file);
        Optional<Blob> there = stat(sha256);
        if (there.isPresent() && there.get().size() == size) {
            progress.accept(size);
            return there.get();
        }
        if (size <= settings.partSize()) {
            putSingle(file, sha256, key, size, progress);
        } else {
            putMultipart(file, sha256, key, size, progress);
        }
        Blob stored = stat(sha256).orElseThrow(() -> new IOException("blob " + sha256 + " is not in " + location()
                + " after it was stored"));
        if (stored.size() != size) {
            throw new BlobIntegrityException("blob " + sha256 + " in " + location() + " has " + stored.size()
                    + " bytes after it was stored, not " + size);
        }
        return stored;
    }

    private void putSingle(Path file, String sha256, String key, long size, LongConsumer progress)
            throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length != size) {
            throw new BlobIntegrityException(file + " changed size while it was stored");
        }
        String actual = HexFormat.of().formatHex(digest("SHA-256").digest(bytes));
        if (!actual.equals(sha256)) {
            throw new BlobIntegrityException(file + " has SHA-256 " + actual + ", not " + sha256
                    + " (was it changed while it was stored?)");
        }
        String md5 = Base64.getEncoder().encodeToString(digest("MD5").digest(bytes));
        retry("upload of " + file, () -> s3.putObject(r -> r.bucket(settings.bucket()).key(key).contentMD5(md5)
                .contentLength(size).metadata(Map.of(SHA_METADATA, sha256)), RequestBody.fromBytes(bytes)));
        progress.accept(size);
    }

    private void putMultipart(Path file, String sha256, String key, long size, LongConsumer progress)
            throws IOException {
        long partSize = settings.partSize();
        int parts = (int) ((size + partSize - 1) / partSize);
        UploadState state = UploadState.read(statePath(sha256));
        Map<Integer, Part> already = new HashMap<>();
        if (state != null && state.partSize() == partSize && state.size() == size) {
            try {
                for (Part p : s3.listPartsPaginator(r -> r.bucket(settings.bucket()).key(key)
                        .uploadId(state.uploadId())).parts()) {
                    already.put(p.partNumber(), p);
                }
                LOG.info("resuming the upload of {} to {}: {} of {} parts are there", file, location(),
                        already.size(), parts);
            } catch (NoSuchUploadException e) {
                already.clear();
                Files.deleteIfExists(statePath(sha256));
            } catch (SdkException e) {
                throw io("listing the parts of an unfinished upload of " + file, e);
            }
        }
        String uploadId;
        if (state != null && Files.exists(statePath(sha256))) {
            uploadId = state.uploadId();
        } else {
            uploadId = retry("starting the upload of " + file, () -> s3.createMultipartUpload(r -> r
                    .bucket(settings.bucket()).key(key).metadata(Map.of(SHA_METADATA, sha256)))).uploadId();
            UploadState.write(statePath(sha256), new UploadState(uploadId, partSize, size));
        }
        AtomicLong sent = new AtomicLong();
        Future<String> hash = pool.submit(() -> BlobFiles.sha256(file));
        List<Future<CompletedPart>> uploads = new ArrayList<>();
        for (int i = 1; i <= parts; i++) {
            int number = i;
            long offset = (number - 1) * partSize;
            int length = (int) Math.min(partSize, size - offset);
            Part existing = already.get(number);
            uploads.add(pool.submit(() -> uploadPart(file, key, uploadId, number, offset, length, existing, sent,
                    progress)));
        }
        List<CompletedPart> done = new ArrayList<>();
        String actual;
        try {
            for (Future<CompletedPart> f : uploads) {
                done.add(await(f));
            }
            actual = await(hash);
        } catch (IOException e) {
            uploads.forEach(f -> f.cancel(true));
            throw new IOException("upload of " + file + " to " + location() + " failed; it resumes when the blob is "
                    + "stored again: " + e.getMessage(), e);
        }
        if (!actual.equals(sha256) || Files.size(file) != size) {
            abort(key, uploadId, sha256);
            throw new BlobIntegrityException(file + " has SHA-256 " + actual + ", not " + sha256
                    + " (was it changed while it was stored?)");
        }
        retry("completing the upload of " + file, () -> s3.completeMultipartUpload(r -> r.bucket(settings.bucket())
                .key(key).uploadId(uploadId).multipartUpload(m -> m.parts(done))));
        Files.deleteIfExists(statePath(sha256));
    }

    private CompletedPart uploadPart(Path file, String key, String uploadId, int number, long offset, int length,
            Part existing, AtomicLong sent, LongConsumer progress) throws IOException {
        byte[] bytes = new byte[length];
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                if (c.read(buffer, offset + buffer.position()) < 0) {
                    throw new BlobIntegrityException(file + " got shorter while it was stored");
                }
            }
        }
        byte[] md5 = digest("MD5").digest(bytes);
        String etag = "\"" + HexFormat.of().formatHex(md5) + "\"";
        if (existing != null && existing.size() == length && etag.equals(existing.eTag())) {
            progress.accept(sent.addAndGet(length));
            return CompletedPart.builder().partNumber(number).eTag(existing.eTag()).build();
        }
        String contentMd5 = Base64.getEncoder().encodeToString(md5);
        String got = retry("part " + number + " of " + file, () -> s3.uploadPart(r -> r.bucket(settings.bucket())
                .key(key).uploadId(uploadId).partNumber(number).contentMD5(contentMd5).contentLength((long) length),
                RequestBody.fromBytes(bytes))).eTag();
        progress.accept(sent.addAndGet(length));
        return CompletedPart.builder().partNumber(number).eTag(got).build();
    }

    private void abort(String key, String uploadId, String sha256) {
        try {
            s3.abortMultipartUpload(r -> r.bucket(settings.bucket()).key(key).uploadId(uploadId));
            Files.deleteIfExists(statePath(sha256));
        } catch (SdkException | IOException e) {
            LOG.warn("could not abort the upload {} of {}: {}", uploadId, key, e.toString());
        }
    }

    @Override
    public Optional<Blob> stat(String sha256) throws IOException {
        String key = key(sha256);
        try {
            HeadObjectResponse head = retry("looking up " + key, () -> s3.headObject(r -> r.bucket(settings.bucket())
                    .key(key)));
            return Optional.of(new Blob(sha256, head.contentLength()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public void get(String sha256, Path target, LongConsumer progress) throws IOException {
        String key = key(sha256);
        Blob blob = stat(sha256).orElseThrow(() -> new NoSuchFileException(target.toString(), null, "no blob "
                + sha256 + " in " + location()));
        long size = blob.size();
        Path parent = target.toAbsolutePath().getParent();
        Path temp = parent.resolve("." + target.getFileName() + "." + UUID.randomUUID() + ".part");
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                AtomicLong received = new AtomicLong();
                List<Future<Void>> ranges = new ArrayList<>();
                for (long offset = 0; offset < size; offset += settings.partSize()) {
                    long from = offset;
                    long to = Math.min(size, offset + settings.partSize()) - 1;
                    ranges.add(pool.submit(() -> {
                        fetchRange(key, from, to, out, received, progress);
                        return null;
                    }));
                }
                try {
                    for (Future<Void> f : ranges) {
                        await(f);
                    }
                } catch (IOException e) {
                    ranges.forEach(f -> f.cancel(true));
                    throw e;
                }
                out.force(true);
            }
            BlobFiles.verifyAndMove(temp, BlobFiles.sha256(temp), target, sha256, size, location());
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(target);
            throw e;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private void fetchRange(String key, long from, long to, FileChannel out, AtomicLong received,
            LongConsumer progress) throws IOException {
        retry("bytes " + from + "-" + to + " of " + key, () -> {
            long position = from;
            try (ResponseInputStream<GetObjectResponse> in = s3.getObject(r -> r.bucket(settings.bucket()).key(key)
                    .range("bytes=" + from + "-" + to))) {
                byte[] buffer = new byte[1 << 20];
                for (int n; (n = in.read(buffer)) > 0;) {
                    ByteBuffer b = ByteBuffer.wrap(buffer, 0, n);
                    while (b.hasRemaining()) {
                        position += out.write(b, position);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (position != to + 1) {
                throw new UncheckedIOException(new IOException("range " + from + "-" + to + " of " + key + " ended at "
                        + position));
            }
            progress.accept(received.addAndGet(to + 1 - from));
            return null;
        });
    }

    @Override
    public boolean delete(String sha256) throws IOException {
        String key = key(sha256);
        if (stat(sha256).isEmpty()) {
            return false;
        }
        retry("deleting " + key, () -> s3.deleteObject(r -> r.bucket(settings.bucket()).key(key)));
        return true;
    }

    @Override
    public List<String> keys() throws IOException {
        String prefix = settings.prefix() + "blobs/";
        try {
            List<String> keys = new ArrayList<>();
            for (S3Object o : s3.listObjectsV2Paginator(r -> r.bucket(settings.bucket()).prefix(prefix)).contents()) {
                String name = o.key().substring(prefix.length());
                if (name.matches("[0-9a-f]{64}")) {
                    keys.add(name);
                }
            }
            keys.sort(null);
            return keys;
        } catch (SdkException e) {
            throw io("listing " + location(), e);
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
        s3.close();
    }

    private Path statePath(String sha256) {
        return settings.stateDir().resolve(sha256 + ".upload");
    }

    /**
     * Runs a request, again after failures that may pass (connection errors, 5xx, throttling), with exponential
     * backoff and jitter, up to {@link S3Settings#maxAttempts()} times.
     */
    private <T> T retry(String what, Callable<T> call) throws IOException {
        IOException last = null;
        for (int attempt = 1; attempt <= settings.maxAttempts(); attempt++) {
            try {
                return call.call();
            } catch (S3Exception e) {
                if (e.statusCode() == 404) {
                    throw new NoSuchFileException(what, null, e.awsErrorDetails() == null ? "not found"
                            : e.awsErrorDetails().errorMessage());
                }
                // The bytes arrived changed (a flipped bit on the way): sending them again is the cure.
                boolean badDigest = e.awsErrorDetails() != null && e.awsErrorDetails().errorCode() != null
                        && CHANGED_ON_THE_WAY.contains(e.awsErrorDetails().errorCode());
                if (e.statusCode() < 500 && e.statusCode() != 429 && e.statusCode() != 408 && !badDigest) {
                    throw io(what, e);
                }
                last = io(what, e);
            } catch (SdkException | UncheckedIOException e) {
                last = new IOException(what + " in " + location() + " failed: " + e.getMessage(), e);
            } catch (IOException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(what + " failed: " + e, e);
            }
            if (attempt < settings.maxAttempts()) {
                long sleep = RETRY.jittered(attempt - 1).toMillis();
                LOG.info("{} failed (attempt {} of {}), again in {} ms: {}", what, attempt, settings.maxAttempts(),
                        sleep, last.getMessage());
                try {
                    Thread.sleep(sleep);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException(what + " was interrupted");
                }
            }
        }
        throw last;
    }

    private IOException io(String what, SdkException e) {
        String detail = e instanceof S3Exception s && s.awsErrorDetails() != null
                ? s.statusCode() + " " + s.awsErrorDetails().errorCode() + ": " + s.awsErrorDetails().errorMessage()
                : e.getMessage();
        return new IOException(what + " in " + location() + " failed: " + detail, e);
    }

    private static <T> T await(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            throw new IOException(c.toString(), c);
        }
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no " + algorithm, e);
        }
    }

    /** An unfinished multipart upload, remembered on disk. */
    record UploadState(String uploadId, long partSize, long size) {

        static UploadState read(Path file) throws IOException {
            if (!Files.isRegularFile(file)) {
                return null;
            }
            String[] f = Files.readString(file, StandardCharsets.UTF_8).trim().split("\n");
            if (f.length != 3) {
                Files.deleteIfExists(file);
                return null;
            }
            return new UploadState(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]));
        }

        static void write(Path file, UploadState s) throws IOException {
            Path temp = file.resolveSibling(file.getFileName() + "." + UUID.randomUUID() + ".tmp");
            Files.writeString(temp, s.uploadId() + "\n" + s.partSize() + "\n" + s.size() + "\n", StandardCharsets.UTF_8);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
