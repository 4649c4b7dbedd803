package dev.koder.training.core.internal;

import java.security.SecureRandom;
import java.time.Instant;

/**
 * Ids that sort by creation time: a prefix ({@code ftjob-}, {@code ckpt-}) then 10 characters of milliseconds
 * and 8 of a counter that starts at a random value each millisecond (Crockford base 32, lower case). Ids made
 * in one process are strictly increasing; ids from different processes collide with negligible probability.
 */
public final class SortableIds {

    private final String prefix;
    private static final char[] DIGITS = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
    private final SecureRandom random = new SecureRandom();
    private long lastMillis = -1;
    private long counter;

    /** @param prefix what every id starts with */
    public SortableIds(String prefix) {
        this.prefix = prefix;
    }

    /** @param now the time @return a new id */
    public synchronized String next(Instant now) {
        long millis = Math.max(now.toEpochMilli(), lastMillis);
        if (millis == lastMillis) {
            counter++;
        } else {
            lastMillis = millis;
            counter = random.nextLong() & 0x7F_FFFF_FFFFL;
        }
        StringBuilder sb = new StringBuilder(prefix);
        append(sb, millis, 10);
        append(sb, counter, 8);
        return sb.toString();
    }

    private static void append(StringBuilder sb, long value, int chars) {
        for (int i = chars - 1; i >= 0; i--) {
            sb.append(DIGITS[(int) ((value >>> (5 * i)) & 31)]);
        }
    }
}
