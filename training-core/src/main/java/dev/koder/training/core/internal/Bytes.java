package dev.koder.training.core.internal;

import java.util.Locale;

/** Sizes for people. */
public final class Bytes {

    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

    private Bytes() {
    }

    /** @param n bytes @return for example {@code 812 B}, {@code 68.4 KiB}, {@code 1.2 GiB} */
    public static String human(long n) {
        double v = n;
        int u = 0;
        while (v >= 1024 && u < UNITS.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? n + " B" : String.format(Locale.ROOT, "%.1f %s", v, UNITS[u]);
    }
}
