package dev.smartmq.redis.internal;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A dead-letter list entry: why and when a value was dead-lettered, by which consumer, and the original
 * value byte for byte (it may be undecodable: that can be the reason).
 *
 * <pre>
 * magic 1 byte 0x5F | version 1 byte 0x01 | deadAt 8 bytes epoch millis | reason string | consumer string | raw value (rest)
 * </pre>
 */
public final class DeadLetterCodec {

    public static final byte MAGIC = 0x5F;
    public static final byte VERSION = 1;

    /** A decoded dead-letter entry. */
    public record Record(String reason, long deadAt, String consumerId, byte[] raw) {
    }

    private DeadLetterCodec() {
    }

    public static byte[] encode(String reason, long deadAt, String consumerId, byte[] raw) {
        EnvelopeCodec.Out out = new EnvelopeCodec.Out(32 + raw.length);
        out.b(MAGIC).b(VERSION).i64(deadAt).str(reason).str(consumerId).raw(raw);
        return out.toArray();
    }

    /** Decodes an entry; an entry that is not one (written by hand?) is returned whole as the raw value. */
    public static Record decode(byte[] entry) {
        if (entry.length >= 2 && entry[0] == MAGIC && entry[1] == VERSION) {
            try {
                ByteBuffer in = ByteBuffer.wrap(entry, 2, entry.length - 2);
                long deadAt = in.getLong();
                String reason = str(in);
                String consumer = str(in);
                byte[] raw = Arrays.copyOfRange(entry, in.position(), entry.length);
                return new Record(reason, deadAt, consumer, raw);
            } catch (BufferUnderflowException | IllegalArgumentException e) {
                // falls through: not a well-formed record
            }
        }
        return new Record("unreadable dead-letter record", 0L, "", entry);
    }

    private static String str(ByteBuffer in) {
        int len = 0;
        for (int shift = 0; ; shift += 7) {
            if (shift > 28) {
                throw new IllegalArgumentException("malformed varint");
            }
            int b = in.get() & 0xFF;
            len |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                break;
            }
        }
        if (len < 0 || len > in.remaining()) {
            throw new IllegalArgumentException("bad length " + len);
        }
        byte[] b = new byte[len];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
