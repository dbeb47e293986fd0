package dev.smartmq.redis.internal;

import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.spi.Envelope;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The binary value format of one message in a shard (versions 1 and 2). All integers big-endian; {@code varint}
 * is unsigned LEB128; strings are {@code varint length + UTF-8 bytes}.
 *
 * <pre>
 * magic      1 byte   0x5E
 * version    1 byte   0x01 (plain) or 0x02 (authenticated)
 * flags      1 byte   bit0 id is a UUID (16 bytes) | bit1 key present | bit2 tags present
 * id         16 bytes (UUID: msb, lsb) or string
 * topic      string
 * key        string   (if bit1)
 * tags       string   (if bit2)
 * born       8 bytes  epoch millis
 * attempts   varint
 * properties varint count, then count × (name string, value string), in insertion order
 * body       varint length + bytes
 * crc32c     4 bytes  CRC32C of every byte before it
 * hmac       32 bytes (version 2 only) HMAC-SHA256 of every byte before it, see {@link EnvelopeAuth}
 * </pre>
 *
 * The CRC catches accidents; only the HMAC stops someone who can write to Redis, since anyone can recompute a
 * CRC. With an {@link EnvelopeAuth} a store writes version 2 and reads version 2 only, checking the tag; without
 * one it writes version 1 and reads both (a version-2 tag cannot be checked without the key and is skipped).
 *
 * Stateless and thread-safe.
 */
public final class EnvelopeCodec {

    public static final byte MAGIC = 0x5E;
    public static final byte VERSION = 1;
    /** The authenticated version: version 1's bytes, then an HMAC-SHA256 tag. */
    public static final byte VERSION_AUTHENTICATED = 2;
    private static final int FLAG_UUID = 1;
    private static final int FLAG_KEY = 2;
    private static final int FLAG_TAGS = 4;
    private static final int HEADER = 3;
    private static final int CRC = 4;

    private EnvelopeCodec() {
    }

    /** Version 1: no authentication. */
    public static byte[] encode(Envelope envelope) {
        return encode(envelope, null);
    }

    /** Version 2 tagged by {@code auth}, or version 1 if {@code auth} is null. */
    public static byte[] encode(Envelope envelope, EnvelopeAuth auth) {
        Message m = envelope.message();
        byte[] idBytes = uuidBytes(envelope.id());
        int flags = (idBytes != null ? FLAG_UUID : 0) | (m.key() != null ? FLAG_KEY : 0)
                | (m.tags() != null ? FLAG_TAGS : 0);
        Out out = new Out(64 + m.bodySize() + (auth == null ? 0 : EnvelopeAuth.TAG_LENGTH));
        out.b(MAGIC).b(auth == null ? VERSION : VERSION_AUTHENTICATED).b((byte) flags);
        if (idBytes != null) {
            out.raw(idBytes);
        } else {
            out.str(envelope.id());
        }
        out.str(m.topic());
        if (m.key() != null) {
            out.str(m.key());
        }
        if (m.tags() != null) {
            out.str(m.tags());
        }
        out.i64(envelope.bornTimestamp());
        out.varint(envelope.attempts());
        out.varint(m.properties().size());
        for (Map.Entry<String, String> p : m.properties().entrySet()) {
            out.str(p.getKey());
            out.str(p.getValue());
        }
        out.varint(m.body().length);
        out.raw(m.body());
        CRC32C crc = new CRC32C();
        crc.update(out.buf, 0, out.len);
        out.i32((int) crc.getValue());
        if (auth != null) {
            out.raw(auth.tag(out.buf, out.len));
        }
        return out.toArray();
    }

    /**
     * Decodes a value without checking authentication (a version-2 tag is skipped).
     *
     * @throws EnvelopeFormatException with the reason (bad magic, unsupported version, checksum mismatch,
     *                                 truncated, trailing bytes, invalid message)
     */
    public static Envelope decode(byte[] value) throws EnvelopeFormatException {
        return decode(value, null);
    }

    /**
     * Decodes a value; with {@code auth}, only an authenticated (version 2) value whose tag matches.
     *
     * @throws EnvelopeFormatException with the reason: as {@link #decode(byte[])}, and with {@code auth}
     *                                 "not authenticated" (a version-1 value) or "authentication failed" (the tag
     *                                 does not match: edited, or written under another key or namespace)
     */
    public static Envelope decode(byte[] value, EnvelopeAuth auth) throws EnvelopeFormatException {
        if (value == null || value.length < HEADER + CRC) {
            throw new EnvelopeFormatException("truncated: " + (value == null ? 0 : value.length) + " bytes");
        }
        if (value[0] != MAGIC) {
            throw new EnvelopeFormatException(String.format("bad magic 0x%02X", value[0] & 0xFF));
        }
        int end;
        if (value[1] == VERSION) {
            if (auth != null) {
                throw new EnvelopeFormatException("not authenticated: a version-1 value carries no HMAC, and this "
                        + "store requires one (envelopeKey is set)");
            }
            end = value.length;
        } else if (value[1] == VERSION_AUTHENTICATED) {
            if (value.length < HEADER + CRC + EnvelopeAuth.TAG_LENGTH) {
                throw new EnvelopeFormatException("truncated: " + value.length + " bytes");
            }
            if (auth != null && !auth.verify(value)) {
                throw new EnvelopeFormatException("authentication failed: HMAC-SHA256 mismatch (edited in Redis, "
                        + "or written under another envelopeKey or namespace)");
            }
            end = value.length - EnvelopeAuth.TAG_LENGTH;
        } else {
            throw new EnvelopeFormatException("unsupported envelope version " + (value[1] & 0xFF));
        }
        int bodyEnd = end - CRC;
        CRC32C crc = new CRC32C();
        crc.update(value, 0, bodyEnd);
        int stored = ByteBuffer.wrap(value, bodyEnd, CRC).getInt();
        if (stored != (int) crc.getValue()) {
            throw new EnvelopeFormatException("checksum mismatch (CRC32C)");
        }
        ByteBuffer in = ByteBuffer.wrap(value, 0, bodyEnd);
        try {
            in.position(2);
            int flags = in.get() & 0xFF;
            String id;
            if ((flags & FLAG_UUID) != 0) {
                id = new UUID(in.getLong(), in.getLong()).toString();
            } else {
                id = str(in);
            }
            Message.Builder b = Message.builder(str(in));
            if ((flags & FLAG_KEY) != 0) {
                b.key(str(in));
            }
            if ((flags & FLAG_TAGS) != 0) {
                b.tags(str(in));
            }
            long born = in.getLong();
            int attempts = varint(in);
            int props = varint(in);
            for (int i = 0; i < props; i++) {
                b.property(str(in), str(in));
            }
            int bodyLength = varint(in);
            if (bodyLength > in.remaining()) {
                throw new EnvelopeFormatException("truncated: body of " + bodyLength + " bytes, "
                        + in.remaining() + " left");
            }
            byte[] body = new byte[bodyLength];
            in.get(body);
            if (in.hasRemaining()) {
                throw new EnvelopeFormatException(in.remaining() + " trailing bytes");
            }
            b.body(body);
            return new Envelope(id, b.build(), born, attempts);
        } catch (BufferUnderflowException e) {
            throw new EnvelopeFormatException("truncated", e);
        } catch (InvalidMessageException | IllegalArgumentException e) {
            throw new EnvelopeFormatException("invalid message: " + e.getMessage(), e);
        }
    }

    /** The 16 bytes of {@code id} if it is a canonical (lower-case) UUID, else {@code null}. */
    static byte[] uuidBytes(String id) {
        if (id.length() != 36) {
            return null;
        }
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (!uuid.toString().equals(id)) {
            return null; // upper case or unusual form: keep the exact text
        }
        return ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits()).array();
    }

    private static String str(ByteBuffer in) throws EnvelopeFormatException {
        int len = varint(in);
        if (len > in.remaining()) {
            throw new EnvelopeFormatException("truncated: string of " + len + " bytes, " + in.remaining() + " left");
        }
        ByteBuffer slice = in.slice();
        slice.limit(len);
        in.position(in.position() + len);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(slice).toString();
        } catch (CharacterCodingException e) {
            throw new EnvelopeFormatException("malformed UTF-8", e);
        }
    }

    private static int varint(ByteBuffer in) throws EnvelopeFormatException {
        int result = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = in.get() & 0xFF;
            result |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (result < 0) {
                    break;
                }
                return result;
            }
        }
        throw new EnvelopeFormatException("malformed varint");
    }

    /** A growable byte array writer; cheaper than ByteArrayOutputStream + DataOutputStream. */
    static final class Out {
        byte[] buf;
        int len;

        Out(int initial) {
            buf = new byte[Math.max(16, initial)];
        }

        private void ensure(int more) {
            if (len + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
            }
        }

        Out b(byte v) {
            ensure(1);
            buf[len++] = v;
            return this;
        }

        Out raw(byte[] v) {
            ensure(v.length);
            System.arraycopy(v, 0, buf, len, v.length);
            len += v.length;
            return this;
        }

        Out varint(int v) {
            if (v < 0) {
                throw new IllegalArgumentException("varint must be >= 0, but was " + v);
            }
            ensure(5);
            while ((v & ~0x7F) != 0) {
                buf[len++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[len++] = (byte) v;
            return this;
        }

        Out str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            varint(b.length);
            return raw(b);
        }

        Out i64(long v) {
            ensure(8);
            for (int i = 7; i >= 0; i--) {
                buf[len++] = (byte) (v >>> (i * 8));
            }
            return this;
        }

        Out i32(int v) {
            ensure(4);
            for (int i = 3; i >= 0; i--) {
                buf[len++] = (byte) (v >>> (i * 8));
            }
            return this;
        }

        byte[] toArray() {
            return len == buf.length ? buf : Arrays.copyOf(buf, len);
        }
    }
}
