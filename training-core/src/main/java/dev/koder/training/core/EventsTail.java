package dev.koder.training.core;

import dev.koder.training.api.EventLevel;
import dev.koder.training.api.JobEvent;
import dev.koder.training.spi.Json;
import dev.koder.training.spi.NewEvent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns what a trainer appended to its {@code events.jsonl} (the protocol in docs/PROTOCOL.md) into job
 * events. Reads only whole lines from a byte offset, so the service can store the offset with the events in
 * one transaction and never lose or repeat one, also across restarts.
 */
final class EventsTail {

    /** A trainer's warning: recorded as a note at level warn. */
    static final String TYPE_WARNING = "warning";
    /** Protocol version this build understands. */
    static final int VERSION = 1;
    private static final int CHUNK = 4 * 1024 * 1024;

    /** What one read produced. */
    record Read(List<NewEvent> events, long offset) {
    }

    private final Path file;
    private final Path workdir;
    private final Clock clock;

    EventsTail(Path file, Path workdir, Clock clock) {
        this.file = file;
        this.workdir = workdir;
        this.clock = clock;
    }

    /**
     * @param offset bytes already consumed
     * @param state updated with what the new events say
     * @return the new events and the offset after the last whole line
     * @throws IOException when the file exists but cannot be read
     */
    Read read(long offset, TrainerState state) throws IOException {
        List<NewEvent> out = new ArrayList<>();
        long position = offset;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (position < ch.size()) {
                ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, ch.size() - position));
                ch.read(buf, position);
                byte[] bytes = buf.array();
                int end = lastNewline(bytes, buf.position());
                if (end < 0) {
                    if (buf.position() < CHUNK) {
                        break;
                    }
                    out.add(note(EventLevel.WARN, "the trainer wrote a line over 4 MiB to its events file; skipped"));
                    position += buf.position();
                    continue;
                }
                int start = 0;
                for (int i = 0; i <= end; i++) {
                    if (bytes[i] == '\n') {
                        String line = new String(bytes, start, i - start, StandardCharsets.UTF_8).trim();
                        if (!line.isEmpty()) {
                            out.add(event(line, state));
                        }
                        start = i + 1;
                    }
                }
                position += end + 1;
            }
        } catch (NoSuchFileException e) {
            return new Read(List.of(), offset);
        }
        return new Read(out, position);
    }

    private static int lastNewline(byte[] bytes, int length) {
        for (int i = length - 1; i >= 0; i--) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private NewEvent note(EventLevel level, String message) {
        return new NewEvent(clock.instant(), level, JobEvent.TYPE_NOTE, message, Map.of());
    }

    private NewEvent event(String line, TrainerState state) {
        Map<String, Object> e;
        try {
            e = Json.readMap(line);
        } catch (RuntimeException ex) {
            String shown = line.length() > 200 ? line.substring(0, 200) + "..." : line;
            return new NewEvent(clock.instant(), EventLevel.WARN, JobEvent.TYPE_NOTE,
                    "the trainer wrote a line that is not a JSON object to its events file: " + shown, Map.of());
        }
        Object v = e.get("v");
        if (v instanceof Number && ((Number) v).intValue() > VERSION && !state.warnedVersion) {
            state.warnedVersion = true;
            return new NewEvent(clock.instant(), EventLevel.WARN, JobEvent.TYPE_NOTE, "the trainer speaks events "
                    + "protocol v" + v + "; this SDK knows v" + VERSION + " and may miss details", Map.of());
        }
        Instant time = e.get("time") instanceof Number
                ? Instant.ofEpochMilli(Math.round(((Number) e.get("time")).doubleValue() * 1000)) : clock.instant();
        String type = String.valueOf(e.getOrDefault("type", "unknown"));
        Map<String, Object> data = new LinkedHashMap<>(e);
        data.remove("v");
        data.remove("type");
        data.remove("time");
        switch (type) {
            case JobEvent.TYPE_STARTED:
                // a trainer's start begins its attempt: what an earlier one reported of its end is not this one's
                state.completed = false;
                state.output = null;
                state.selected = null;
                state.errorKind = null;
                state.errorMessage = null;
                state.checkpointAt = null;
                state.startedAt = time;
                state.merge(data);
                return new NewEvent(time, EventLevel.INFO, type, "trainer started"
                        + (data.get("total_steps") != null ? ": " + data.get("total_steps") + " steps" : "")
                        + (data.get("world_size") instanceof Number && ((Number) data.get("world_size")).intValue() > 1
                                ? " on " + data.get("world_size") + " processes" : "")
                        + (data.get("cpu_threads") instanceof Number c ? ", " + c.longValue()
                                + (c.longValue() == 1 ? " CPU thread" : " CPU threads")
                                + (data.get("world_size") instanceof Number w && w.intValue() > 1 ? " each" : "") : "")
                        + (data.get("micro_batch_tokens") instanceof Number n ? String.format(Locale.ROOT,
                                ", micro-steps of up to %,d tokens", n.longValue()) : ""), data);
            case JobEvent.TYPE_PROGRESS:
                state.merge(data);
                state.timing(time.toEpochMilli() / 1000.0, data.get("tokens"));
                return new NewEvent(time, EventLevel.INFO, type, progressMessage(data), data);
            case JobEvent.TYPE_EVAL:
                state.merge(data);
                return new NewEvent(time, EventLevel.INFO, type, (Boolean.TRUE.equals(data.get("baseline"))
                        ? "evaluation of the base model, before training: "
                        : (Boolean.TRUE.equals(data.get("final")) ? "final evaluation at step " : "evaluation at step ")
                                + data.get("step") + ": ") + metrics(data.get("metrics")), data);
            case JobEvent.TYPE_CHECKPOINT: {
                String path = absolute(data.get("path"));
                data.put("path", path);
                long step = TrainerState.longOr(data.get("step"), -1L);
                if (step >= state.lastCheckpointStep) {
                    state.lastCheckpoint = path;
                    state.lastCheckpointStep = step;
                }
                state.checkpointAt = time;
                if (path != null) {
                    state.written.add(new TrainerState.Written(path, step, state.metrics()));
                }
                return new NewEvent(time, EventLevel.INFO, type, "checkpoint at step " + data.get("step") + ": " + path,
                        data);
            }
            case JobEvent.TYPE_COMPLETED: {
                String path = absolute(data.get("output"));
                data.put("output", path);
                state.output = path;
                state.completed = true;
                state.selected = selected(data.get("selected"));
                return new NewEvent(time, EventLevel.INFO, type, "training finished; output in " + path
                        + selection(data.get("selected")) + batching(data.get("batching")), data);
            }
            case JobEvent.TYPE_ERROR: {
                state.errorKind = String.valueOf(data.getOrDefault("kind", "unknown")).toLowerCase(Locale.ROOT);
                state.errorMessage = String.valueOf(data.getOrDefault("message", ""));
                return new NewEvent(time, EventLevel.ERROR, type, "trainer error (" + state.errorKind + "): "
                        + state.errorMessage, data);
            }
            case TYPE_WARNING:
                return new NewEvent(time, EventLevel.WARN, JobEvent.TYPE_NOTE,
                        String.valueOf(data.getOrDefault("message", "the trainer warns")), data);
            default:
                return new NewEvent(time, EventLevel.DEBUG, type, "trainer event " + type, data);
        }
    }

    private String absolute(Object path) {
        if (path == null) {
            return null;
        }
        Path p = Path.of(String.valueOf(path));
        return (p.isAbsolute() ? p : workdir.resolve(p)).normalize().toString();
    }

    static String progressMessage(Map<String, Object> d) {
        StringBuilder sb = new StringBuilder("step ").append(d.get("step"));
        if (d.get("total_steps") != null) {
            sb.append('/').append(d.get("total_steps"));
        }
        if (d.get("loss") instanceof Number) {
            sb.append(String.format(Locale.ROOT, ": loss %.4f", ((Number) d.get("loss")).doubleValue()));
        }
        if (d.get("learning_rate") instanceof Number) {
            sb.append(String.format(Locale.ROOT, ", lr %.3g", ((Number) d.get("learning_rate")).doubleValue()));
        }
        if (d.get("tokens_per_second") instanceof Number) {
            sb.append(String.format(Locale.ROOT, ", %.0f tokens/s", ((Number) d.get("tokens_per_second")).doubleValue()));
        }
        return sb.toString();
    }

    /** @return the checkpoint a trainer chose as its output (its completed event's selected), or null */
    static TrainerState.Selected selected(Object selected) {
        if (!(selected instanceof Map<?, ?> s) || !(s.get("step") instanceof Number step)) {
            return null;
        }
        Map<String, Double> metrics = new java.util.LinkedHashMap<>();
        if (s.get("metrics") instanceof Map<?, ?> m) {
            m.forEach((k, v) -> {
                if (v instanceof Number n) {
                    metrics.put(String.valueOf(k), n.doubleValue());
                }
            });
        }
        return new TrainerState.Selected(step.longValue(), metrics);
    }

    /** @return which checkpoint a trainer chose as its output and why, in words, or nothing */
    private static String selection(Object selected) {
        if (!(selected instanceof Map<?, ?> s) || !(s.get("step") instanceof Number step)) {
            return "";
        }
        Object value = s.get("value");
        return String.format(Locale.ROOT, " (the weights of step %d, the %s %s of %s evaluations; the last step was "
                + "%s)", step.longValue(), Boolean.TRUE.equals(s.get("lower_is_better")) ? "lowest" : "highest",
                s.get("metric") + (value instanceof Number n ? String.format(Locale.ROOT, " %.4f", n.doubleValue())
                        : ""), s.get("evaluations"), s.get("last_step"));
    }

    /** @return what a trainer by tokens reports of its micro-steps, in words, or nothing */
    private static String batching(Object batching) {
        if (!(batching instanceof Map<?, ?> b) || !(b.get("tokens_per_micro_step") instanceof Number tokens)
                || !(b.get("padding_fraction") instanceof Number padding)) {
            return "";
        }
        return String.format(Locale.ROOT, "; %,.0f tokens a micro-step, padding %.1f%%", tokens.doubleValue(),
                100 * padding.doubleValue());
    }

    private static String metrics(Object metrics) {
        if (!(metrics instanceof Map)) {
            return "no metrics";
        }
        List<String> parts = new ArrayList<>();
        for (Map.Entry<?, ?> m : ((Map<?, ?>) metrics).entrySet()) {
            Object value = m.getValue();
            parts.add(m.getKey() + " " + (value instanceof Number
                    ? String.format(Locale.ROOT, "%.4g", ((Number) value).doubleValue()) : value));
        }
        return String.join(", ", parts);
    }
}
