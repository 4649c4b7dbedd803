package dev.koder.training.blob;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Where and how the S3 blob store works.
 *
 * @param bucket the bucket (must exist)
 * @param prefix key prefix, empty or ending with {@code /}
 * @param endpoint the service's URL for S3-compatible stores (MinIO, Ceph), or null for AWS
 * @param region the region (S3-compatible stores accept any, conventionally {@code us-east-1})
 * @param pathStyle whether to address the bucket in the path rather than the host name (most S3-compatible
 *     stores need it)
 * @param accessKey access key, or null for the AWS default credential chain
 * @param secretKey secret key, with the access key
 * @param partSize bytes per part of a multipart upload and per ranged download
 * @param concurrency parts moved at once
 * @param maxAttempts tries per request (and per part) before giving up
 * @param timeout connection and socket timeout
 * @param stateDir where unfinished multipart uploads are remembered, so a restart resumes them
 */
public record S3Settings(String bucket, String prefix, URI endpoint, String region, boolean pathStyle,
        String accessKey, String secretKey, long partSize, int concurrency, int maxAttempts, Duration timeout,
        Path stateDir) {

    /** Prefix of the properties read by {@link #fromProperties}. */
    public static final String PREFIX = "training.blob.s3.";

    /** Checks the values. */
    public S3Settings {
        Objects.requireNonNull(bucket, "bucket");
        prefix = prefix == null ? "" : prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/";
        region = region == null ? "us-east-1" : region;
        if (partSize < 5L * 1024 * 1024) {
            throw new IllegalArgumentException(PREFIX + "part-size must be at least 5 MiB (S3's smallest part), got "
                    + partSize);
        }
        if (concurrency < 1 || maxAttempts < 1) {
            throw new IllegalArgumentException(PREFIX + "concurrency and " + PREFIX + "max-attempts must be at least 1");
        }
        if ((accessKey == null) != (secretKey == null)) {
            throw new IllegalArgumentException(PREFIX + "access-key and " + PREFIX + "secret-key go together");
        }
    }

    /**
     * Reads {@code training.blob.s3.*}: {@code bucket} (required), {@code prefix}, {@code endpoint},
     * {@code region}, {@code path-style}, {@code access-key}, {@code secret-key}, {@code part-size} (bytes,
     * default 16 MiB), {@code concurrency} (default 8), {@code max-attempts} (default 6), {@code timeout}
     * (ISO-8601, default PT60S).
     *
     * @param properties the service's properties
     * @param home the service's home; unfinished uploads are remembered in {@code <home>/blob-uploads}
     * @return the settings
     * @throws IllegalArgumentException naming the property that is missing or wrong
     */
    public static S3Settings fromProperties(Map<String, String> properties, Path home) {
        String bucket = properties.get(PREFIX + "bucket");
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException(PREFIX + "bucket is required for the s3 blob store");
        }
        String endpoint = properties.get(PREFIX + "endpoint");
        try {
            return new S3Settings(bucket, properties.get(PREFIX + "prefix"),
                    endpoint == null ? null : URI.create(endpoint), properties.get(PREFIX + "region"),
                    Boolean.parseBoolean(properties.getOrDefault(PREFIX + "path-style", endpoint == null ? "false" : "true")),
                    properties.get(PREFIX + "access-key"), properties.get(PREFIX + "secret-key"),
                    Long.parseLong(properties.getOrDefault(PREFIX + "part-size", String.valueOf(16L * 1024 * 1024))),
                    Integer.parseInt(properties.getOrDefault(PREFIX + "concurrency", "8")),
                    Integer.parseInt(properties.getOrDefault(PREFIX + "max-attempts", "6")),
                    Duration.parse(properties.getOrDefault(PREFIX + "timeout", "PT60S")),
                    home.resolve("blob-uploads"));
        } catch (NumberFormatException | java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("a " + PREFIX + "* property is not a valid number or duration: "
                    + e.getMessage(), e);
        }
    }

    /**
     * @param bucket the bucket
     * @param endpoint the server
     * @param accessKey its access key
     * @param secretKey its secret key
     * @param stateDir where unfinished uploads are remembered
     * @return settings for an S3-compatible server with path-style addressing and the defaults
     */
    public static S3Settings compatible(String bucket, URI endpoint, String accessKey, String secretKey,
            Path stateDir) {
        return new S3Settings(bucket, "", endpoint, "us-east-1", true, accessKey, secretKey, 16L * 1024 * 1024, 8,
                6, Duration.ofSeconds(60), stateDir);
    }

    /** @return a copy with another part size */
    public S3Settings withPartSize(long bytes) {
        return new S3Settings(bucket, prefix, endpoint, region, pathStyle, accessKey, secretKey, bytes, concurrency,
                maxAttempts, timeout, stateDir);
    }

    /** @return a copy that moves that many parts at once */
    public S3Settings withConcurrency(int value) {
        return new S3Settings(bucket, prefix, endpoint, region, pathStyle, accessKey, secretKey, partSize, value,
                maxAttempts, timeout, stateDir);
    }

    /** @return a copy with another timeout */
    public S3Settings withTimeout(Duration value) {
        return new S3Settings(bucket, prefix, endpoint, region, pathStyle, accessKey, secretKey, partSize,
                concurrency, maxAttempts, value, stateDir);
    }

    /** @return a copy with another number of attempts */
    public S3Settings withMaxAttempts(int value) {
        return new S3Settings(bucket, prefix, endpoint, region, pathStyle, accessKey, secretKey, partSize,
                concurrency, value, timeout, stateDir);
    }
}
