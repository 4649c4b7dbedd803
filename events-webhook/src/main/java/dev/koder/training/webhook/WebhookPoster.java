package dev.koder.training.webhook;

import dev.koder.training.spi.Delivery;
import dev.koder.training.spi.OutboxMessage;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * One try of one message: a POST of its stored bytes, signed, with its key as {@code Idempotency-Key} and
 * {@code webhook-id}. A 2xx is sent, and so is a 409: the receiver has that key already, or is taking it in another
 * request. 408, 425, 429 and 5xx, a timeout or a refused connection are tried again (Retry-After honoured); any other
 * answer is refused for good.
 */
final class WebhookPoster {

    /** The CloudEvents structured-mode media type. */
    static final String CONTENT_TYPE = "application/cloudevents+json; charset=utf-8";

    private final WebhookSettings settings;
    private final HttpClient http;
    private final Clock clock;

    WebhookPoster(WebhookSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    Delivery post(OutboxMessage m, int attempt) {
        long now = clock.instant().getEpochSecond();
        HttpRequest request = HttpRequest.newBuilder(settings.url()).timeout(settings.timeout())
                .header("Content-Type", CONTENT_TYPE)
                .header("Idempotency-Key", m.key())
                .header("webhook-id", m.key())
                .header("webhook-timestamp", Long.toString(now))
                .header("webhook-signature", Signature.sign(settings.key(), m.key(), now, m.body()))
                .header("User-Agent", "training-sdk-webhook/1")
                .header("X-Training-Attempt", Integer.toString(attempt))
                .POST(HttpRequest.BodyPublishers.ofByteArray(m.body())).build();
        HttpResponse<String> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (java.net.http.HttpTimeoutException e) {
            return Delivery.retry("no answer from " + settings.url() + " within " + settings.timeout().toSeconds()
                    + " s", null);
        } catch (IOException e) {
            return Delivery.retry("cannot reach " + settings.url() + ": " + e, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Delivery.retry("interrupted", null);
        }
        int code = r.statusCode();
        if (code >= 200 && code < 300 || code == 409) {
            return Delivery.sent();
        }
        String said = "HTTP " + code + " from " + settings.url() + (r.body() == null || r.body().isBlank() ? ""
                : ": " + cut(r.body().strip()));
        if (code == 408 || code == 425 || code == 429 || code >= 500) {
            return Delivery.retry(said, retryAfter(r).orElse(null));
        }
        return Delivery.rejected(said);
    }

    private static Optional<Duration> retryAfter(HttpResponse<?> r) {
        return r.headers().firstValue("Retry-After").flatMap(v -> {
            try {
                return Optional.of(Duration.ofSeconds(Long.parseLong(v.strip())));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }

    private static String cut(String s) {
        String one = s.replaceAll("\\s+", " ");
        return one.length() > 200 ? one.substring(0, 200) + "..." : one;
    }
}
