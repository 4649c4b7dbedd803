package dev.koder.training.python;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pinned set of Python packages a trainer needs: the lines of a requirements file, and for each package
 * the module to import to prove it works. Its hash names the managed environment that holds it, so every
 * home and every test on a machine share one environment per set.
 *
 * @param name short name for the environment folder, for example {@code trl}
 * @param lines requirements-file lines, for example {@code torch==2.13.0}
 * @param packages distribution name to the module that proves it imports, for example {@code torch -> torch}
 */
public record Requirements(String name, List<String> lines, Map<String, String> packages) {

    /** Copies the collections so the record stays immutable. */
    public Requirements {
        lines = List.copyOf(lines);
        packages = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(packages));
    }

    /**
     * Reads a requirements file shipped as a resource. Lines look like {@code torch==2.13.0  # import: torch};
     * without an import comment the module is the distribution name with '-' replaced by '_'.
     *
     * @param name the environment's short name
     * @param anchor the class whose loader finds the resource
     * @param resource the resource path
     * @return the requirements
     */
    public static Requirements fromResource(String name, Class<?> anchor, String resource) {
        try (InputStream in = anchor.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            return parse(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param name the environment's short name
     * @param text the requirements file
     * @return the requirements
     */
    public static Requirements parse(String name, String text) {
        List<String> lines = new ArrayList<>();
        Map<String, String> packages = new LinkedHashMap<>();
        for (String raw : text.split("\n")) {
            String line = raw.trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String spec = line.replaceAll("\\s*#.*$", "");
            String module = line.contains("# import:") ? line.substring(line.indexOf("# import:") + 9).trim() : null;
            String dist = spec.split("[=<>!~\\[;\\s]", 2)[0];
            lines.add(spec);
            packages.put(dist, module == null ? dist.replace('-', '_') : module);
        }
        return new Requirements(name, lines, packages);
    }

    /** @return the requirements file text */
    public String text() {
        return String.join("\n", lines) + "\n";
    }

    /** @return SHA-256 of the requirements text, hex */
    public String hash() {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @param dist a distribution name @return its pinned requirement line, or the bare name */
    public String pin(String dist) {
        return lines.stream().filter(l -> l.startsWith(dist)).findFirst().orElse(dist);
    }
}
