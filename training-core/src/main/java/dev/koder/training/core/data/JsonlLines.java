package dev.koder.training.core.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a JSONL file one line at a time in bounded memory: a line longer than the limit is skipped (and
 * reported), never held whole. Decodes strict UTF-8 and says at which byte a line stops being UTF-8.
 */
final class JsonlLines implements Closeable {

    /** One line: its number and either its text or why it has none. */
    record Line(long number, String text, String problem) {
    }

    private final InputStream in;
    private final int maxBytes;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final byte[] chunk = new byte[64 * 1024];
    private int chunkPos;
    private int chunkLen;
    private byte[] line = new byte[8 * 1024];
    private long number;
    private boolean eof;

    JsonlLines(InputStream in, int maxBytes) {
        this.in = in;
        this.maxBytes = maxBytes;
    }

    /** @return the next line, or null at the end of the file */
    Line next() throws IOException {
        int len = 0;
        boolean tooLong = false;
        boolean sawAny = false;
        while (true) {
            if (chunkPos == chunkLen) {
                if (eof || !fill()) {
                    if (!sawAny) {
                        return null;
                    }
                    break;
                }
            }
            sawAny = true;
            byte b = chunk[chunkPos++];
            if (b == '\n') {
                break;
            }
            if (tooLong) {
                continue;
            }
            if (len == maxBytes) {
                tooLong = true;
                continue;
            }
            if (len == line.length) {
                line = Arrays.copyOf(line, Math.min(maxBytes, line.length * 2));
            }
            line[len++] = b;
        }
        number++;
        if (tooLong) {
            return new Line(number, null, "longer than " + maxBytes / (1024 * 1024)
                    + " MiB; each line must hold one example");
        }
        if (len > 0 && line[len - 1] == '\r') {
            len--;
        }
        int start = number == 1 && len >= 3 && (line[0] & 0xff) == 0xEF && (line[1] & 0xff) == 0xBB
                && (line[2] & 0xff) == 0xBF ? 3 : 0;
        try {
            CharBuffer chars = decoder.reset().decode(ByteBuffer.wrap(line, start, len - start));
            return new Line(number, chars.toString(), null);
        } catch (MalformedInputException e) {
            return new Line(number, null, "not valid UTF-8 (bad byte at column " + (firstBad(start, len) + 1) + ")");
        } catch (CharacterCodingException e) {
            return new Line(number, null, "not valid UTF-8");
        }
    }

    private int firstBad(int start, int len) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT);
        ByteBuffer buf = ByteBuffer.wrap(line, start, len - start);
        CharBuffer out = CharBuffer.allocate(len);
        d.decode(buf, out, true);
        return buf.position();
    }

    private boolean fill() throws IOException {
        int n = in.read(chunk);
        if (n <= 0) {
            eof = true;
            return false;
        }
        chunkPos = 0;
        chunkLen = n;
        return true;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
