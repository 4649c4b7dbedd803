package dev.koder.training.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signatures: {@code v1,} and the base64 HMAC-SHA256 of {@code <webhook-id>.<webhook-timestamp>.<body>}
 * under the shared key. A receiver recomputes it and compares in constant time ({@link #verify}).
 */
public final class Signature {

    private Signature() {
    }

    /**
     * @param key the shared key
     * @param id the {@code webhook-id} header (the event's idempotency key)
     * @param timestamp the {@code webhook-timestamp} header, Unix seconds
     * @param body the body, exactly as sent
     * @return the {@code webhook-signature} header's value
     */
    public static String sign(byte[] key, String id, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    /**
     * @param key the shared key
     * @param id the {@code webhook-id} header
     * @param timestamp the {@code webhook-timestamp} header
     * @param body the body as received
     * @param header the {@code webhook-signature} header (one or more space-separated signatures)
     * @return whether one of them is this body's
     */
    public static boolean verify(byte[] key, String id, long timestamp, byte[] body, String header) {
        byte[] expected = sign(key, id, timestamp, body).getBytes(StandardCharsets.US_ASCII);
        for (String s : header.split(" ")) {
            if (MessageDigest.isEqual(expected, s.strip().getBytes(StandardCharsets.US_ASCII))) {
                return true;
            }
        }
        return false;
    }
}
