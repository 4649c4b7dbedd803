package dev.koder.training.benchmarks;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetReport;
import dev.koder.training.core.data.ApproximateTokenCounter;
import dev.koder.training.core.data.DatasetValidator;
import dev.koder.training.core.data.HfTokenCounter;
import dev.koder.training.core.data.TokenCounter;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * How fast, and in how little memory, a large chat dataset is validated. Writes a JSONL file of the given size
 * (once; reused when present), scans it, and prints wall time, throughput and the heap's peak use. Run it
 * with a small heap to show memory stays bounded:
 *
 * <pre>
 * java -Xmx64m -cp "benchmarks/target/benchmarks.jar:$(cat benchmarks/target/classpath.txt)" \
 *     dev.koder.training.benchmarks.DatasetScan /tmp/scan-1g.jsonl 1024 [tokenizer.json]
 * </pre>
 */
public final class DatasetScan {

    private DatasetScan() {
    }

    /**
     * @param args file, size in MiB, optional tokenizer.json for exact counts
     * @throws IOException when the file cannot be written or read
     */
    public static void main(String[] args) throws IOException {
        Path file = Path.of(args[0]);
        long bytes = Long.parseLong(args[1]) * 1024 * 1024;
        if (!Files.exists(file) || Files.size(file) < bytes) {
            long t0 = System.nanoTime();
            write(file, bytes);
            System.out.printf(Locale.ROOT, "wrote %s (%,d bytes) in %.1f s%n", file, Files.size(file),
                    (System.nanoTime() - t0) / 1e9);
        }
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
        long t0 = System.nanoTime();
        DatasetReport report;
        try (TokenCounter tokens = args.length > 2 ? HfTokenCounter.open(Path.of(args[2]))
                : new ApproximateTokenCounter()) {
            report = DatasetValidator.builder().tokens(tokens).build().validate(file, DatasetFormat.CHAT);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        long size = Files.size(file);
        System.out.printf(Locale.ROOT, "max heap %d MiB; scanned %,d bytes, %,d examples, %,d tokens (%s) in %.1f s: "
                + "%.0f MiB/s, %,.0f examples/s; heap peak %.1f MiB; valid=%s errors=%d%n",
                Runtime.getRuntime().maxMemory() / (1024 * 1024), size, report.stats().examples(),
                report.stats().tokens(), report.stats().tokensExact() ? "exact" : "approximate", seconds,
                size / seconds / (1024 * 1024), report.stats().examples() / seconds, peak / (1024.0 * 1024.0),
                report.valid(), report.errors());
    }

    /** Chat examples of varied length: a system prompt, one to three user/assistant turns. */
    static void write(Path file, long bytes) throws IOException {
        Random rnd = new Random(42);
        String[] words = ("the model answers every question about invoices refunds shipping orders accounts "
                + "passwords devices settings billing plans upgrades features errors logs support team customer "
                + "please thanks sorry help with your my our a an to of in on for and or but not").split(" ");
        long written = 0;
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            StringBuilder sb = new StringBuilder(4096);
            while (written < bytes) {
                sb.setLength(0);
                sb.append("{\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful support agent.\"}");
                int turns = 1 + rnd.nextInt(3);
                for (int t = 0; t < turns; t++) {
                    sb.append(",{\"role\":\"user\",\"content\":\"").append(sentence(rnd, words, 8 + rnd.nextInt(30)))
                            .append("\"},{\"role\":\"assistant\",\"content\":\"")
                            .append(sentence(rnd, words, 20 + rnd.nextInt(120))).append("\"}");
                }
                sb.append("]}\n");
                w.write(sb.toString());
                written += sb.length();
            }
        }
    }

    private static String sentence(Random rnd, String[] words, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(words[rnd.nextInt(words.length)]);
        }
        return sb.append('.').toString();
    }
}
