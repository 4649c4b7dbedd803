package dev.koder.training.server;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes the server's file system out of what a tenant reads: an uploaded file's path becomes its id
 * ({@code file-...}), a path inside a job's folder becomes the path relative to it ({@code output/checkpoint-60}),
 * a model folder becomes the name the tenant knows it by, and any other absolute path its last name only.
 */
final class Redactor {

    private static final Pattern ABSOLUTE = Pattern.compile("(?<![\\w.~-])/(?:[^\\s'\"`,;:()\\[\\]{}<>]+)");

    private final String files;
    private final String jobs;
    private final UnaryOperator<String> modelName;

    /**
     * @param home the service's home
     * @param modelName what a tenant calls a model folder (a root's relative name), or null when it is none
     */
    Redactor(Path home, UnaryOperator<String> modelName) {
        this.files = home.resolve("files").toString() + "/";
        this.jobs = home.resolve("jobs").toString() + "/";
        this.modelName = modelName;
    }

    /** @param text a message @return the message with every server path replaced */
    String text(String text) {
        if (text == null || text.indexOf('/') < 0) {
            return text;
        }
        Matcher m = ABSOLUTE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(path(trimTrailing(m.group()))
                    + m.group().substring(trimTrailing(m.group()).length())));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String trimTrailing(String p) {
        int end = p.length();
        while (end > 1 && (p.charAt(end - 1) == '.' || p.charAt(end - 1) == '/')) {
            end--;
        }
        return p.substring(0, end);
    }

    /** @param path an absolute path @return what a tenant is shown for it */
    String path(String path) {
        if (path.startsWith(files)) {
            String name = path.substring(files.length());
            int dot = name.lastIndexOf('.');
            return dot > 0 ? name.substring(0, dot) : name;
        }
        if (path.startsWith(jobs)) {
            String rest = path.substring(jobs.length());
            int slash = rest.indexOf('/');
            return slash < 0 ? rest : rest.substring(slash + 1);
        }
        String model = modelName.apply(path);
        if (model != null && !model.startsWith("/")) {
            return model;
        }
        Path p = Path.of(path).getFileName();
        return p == null ? "" : p.toString();
    }

    /** @param value a JSON-like tree (maps, lists, strings, numbers) @return a copy with every string redacted */
    Object tree(Object value) {
        if (value instanceof String s) {
            return text(s);
        }
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), tree(v)));
            return out;
        }
        if (value instanceof List<?> l) {
            return l.stream().map(this::tree).toList();
        }
        return value;
    }
}
