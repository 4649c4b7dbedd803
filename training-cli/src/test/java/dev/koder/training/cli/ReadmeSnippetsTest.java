package dev.koder.training.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code java} block of the README compiles against the SDK as it is: a block that declares a class is
 * compiled as a source file, any other as the body of a method, both with the SDK's packages imported.
 */
class ReadmeSnippetsTest {

    static final Path README = Path.of("../README.md");
    static final String IMPORTS = String.join("\n",
            "import dev.koder.training.api.*;",
            "import dev.koder.training.core.*;",
            "import dev.koder.training.spi.*;",
            "import java.io.IOException;",
            "import java.nio.file.Files;",
            "import java.nio.file.Path;",
            "import java.time.Duration;",
            "import java.util.List;",
            "import java.util.Map;",
            "import java.util.Optional;",
            "import java.util.Set;",
            "import tools.jackson.databind.json.JsonMapper;",
            "");

    @TempDir
    Path out;

    static List<String> javaBlocks() throws IOException {
        Matcher m = Pattern.compile("(?ms)^```java\\n(.*?)^```").matcher(Files.readString(README));
        List<String> blocks = new ArrayList<>();
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    @Test
    void everyJavaBlockOfTheReadme_compiles() throws IOException {
        List<String> blocks = javaBlocks();
        assertThat(blocks).as("java blocks in the README").hasSizeGreaterThanOrEqualTo(2);
        List<JavaFileObject> sources = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            String block = blocks.get(i);
            Matcher type = Pattern.compile("(?m)^public (?:final )?(?:class|interface|record) (\\w+)").matcher(block);
            String source;
            String name;
            if (type.find()) {
                name = type.group(1);
                source = "package readme" + i + ";\n" + IMPORTS + block;
            } else {
                name = "Snippet";
                source = "package readme" + i + ";\n" + IMPORTS + "public class Snippet {\n"
                        + "    static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(\"readme\");\n"
                        + "    void run() throws Exception {\n" + block + "    }\n}\n";
            }
            String path = "readme" + i + "/" + name + ".java";
            sources.add(new SimpleJavaFileObject(URI.create("string:///" + path), JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return source;
                }
            });
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        StringWriter log = new StringWriter();
        boolean ok = javac.getTask(log, null, diagnostics, List.of("-d", out.toString(), "-classpath",
                System.getProperty("java.class.path"), "-proc:none"), null, sources).call();
        StringBuilder errors = new StringBuilder(log.toString());
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() == Diagnostic.Kind.ERROR) {
                errors.append(d.getSource().getName()).append(':').append(d.getLineNumber()).append(": ")
                        .append(d.getMessage(Locale.ROOT)).append('\n');
            }
        }
        assertThat(ok).as(errors.toString()).isTrue();
    }
}
