package dev.koder.training.webhook;

import dev.koder.training.spi.PluginConfig;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;

/**
 * One receiver's settings, under a prefix ({@code training.webhook.registry} or {@code training.webhook.usage}):
 * {@code .url} (required: without it the sink is off), {@code .secret} or {@code .secret-file} (required with a
 * url: the HMAC key; a {@code whsec_} secret is base64 after the prefix, as Standard Webhooks writes them, any other
 * is its UTF-8 bytes), {@code .timeout} (ISO-8601, default PT10S) and {@code .source} (the CloudEvents source,
 * default {@code urn:training:<home folder name>}).
 *
 * @param prefix the settings' prefix, for messages
 * @param url where to post
 * @param key the HMAC-SHA256 key
 * @param timeout how long one request may take
 * @param source the CloudEvents {@code source} of every event
 */
record WebhookSettings(String prefix, URI url, byte[] key, Duration timeout, String source) {

    static Optional<WebhookSettings> from(PluginConfig config, String prefix) {
        Optional<String> url = config.text(prefix + ".url");
        if (url.isEmpty()) {
            return Optional.empty();
        }
        URI uri;
        try {
            uri = new URI(url.get());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("property " + prefix + ".url is not a URL: " + e.getMessage());
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("property " + prefix + ".url must be an http or https URL, got \""
                    + url.get() + "\"");
        }
        String secret = config.get(prefix + ".secret").orElse(null);
        Optional<String> file = config.get(prefix + ".secret-file");
        if (secret == null && file.isPresent()) {
            try {
                secret = Files.readString(Path.of(file.get().strip()), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new IllegalArgumentException("property " + prefix + ".secret-file: cannot read " + file.get()
                        + ": " + e.getMessage());
            }
        }
        if (secret == null || secret.isBlank()) {
            throw new IllegalArgumentException("property " + prefix + ".url is set, so " + prefix + ".secret (or "
                    + prefix + ".secret-file) must be too: every request is signed with it");
        }
        Duration timeout = config.duration(prefix + ".timeout", Duration.ofSeconds(10));
        String source = config.text(prefix + ".source").orElse("urn:training:" + config.home().getFileName());
        return Optional.of(new WebhookSettings(prefix, uri, key(secret, prefix), timeout, source));
    }

    static byte[] key(String secret, String prefix) {
        if (secret.startsWith("whsec_")) {
            try {
                return Base64.getDecoder().decode(secret.substring("whsec_".length()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("property " + prefix + ".secret starts with whsec_ but the rest "
                        + "is not base64");
            }
        }
        return secret.getBytes(StandardCharsets.UTF_8);
    }
}
