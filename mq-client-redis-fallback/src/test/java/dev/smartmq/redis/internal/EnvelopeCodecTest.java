package dev.smartmq.redis.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.Message;
import dev.smartmq.spi.Envelope;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class EnvelopeCodecTest {

    private static void assertSame(Envelope expected, Envelope actual) {
        assertEquals(expected.id(), actual.id());
        assertEquals(expected.bornTimestamp(), actual.bornTimestamp());
        assertEquals(expected.attempts(), actual.attempts());
        Message e = expected.message();
        Message a = actual.message();
        assertEquals(e.topic(), a.topic());
        assertEquals(e.key(), a.key());
        assertEquals(e.tags(), a.tags());
        assertEquals(e.properties(), a.properties());
        assertEquals(java.util.List.copyOf(e.properties().keySet()), java.util.List.copyOf(a.properties().keySet()),
                "property order");
        assertArrayEquals(e.body(), a.body());
    }

    @Test
    void roundTripsEveryFieldWithUnicode() throws Exception {
        Message m = Message.builder("orders-ÜNI".replace("Ü", "U"))
                .key("客户-42")
                .tags("支付")
                .property("city", "Zürich 東京 🚀")
                .property("empty", "")
                .body("héllo wörld 🎉".getBytes(StandardCharsets.UTF_8))
                .build();
        Envelope env = new Envelope(UUID.randomUUID().toString(), m, 1_700_000_000_123L, 7);
        byte[] bytes = EnvelopeCodec.encode(env);
        assertEquals(EnvelopeCodec.MAGIC, bytes[0]);
        assertEquals(EnvelopeCodec.VERSION, bytes[1]);
        assertSame(env, EnvelopeCodec.decode(bytes));
    }

    @Test
    void uuidIdTakesSixteenBytesOtherIdsKeepTheirText() throws Exception {
        Message m = Message.builder("t").body("x").build();
        String uuid = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
        byte[] withUuid = EnvelopeCodec.encode(new Envelope(uuid, m, 1, 0));
        byte[] withText = EnvelopeCodec.encode(new Envelope("01J0ABCDEFGHJKMNPQRSTVWXYZ", m, 1, 0));
        assertEquals(uuid, EnvelopeCodec.decode(withUuid).id());
        assertEquals("01J0ABCDEFGHJKMNPQRSTVWXYZ", EnvelopeCodec.decode(withText).id());
        // an upper-case UUID must come back exactly as it was written
        String upper = uuid.toUpperCase();
        assertNull(EnvelopeCodec.uuidBytes(upper));
        assertEquals(upper, EnvelopeCodec.decode(EnvelopeCodec.encode(new Envelope(upper, m, 1, 0))).id());
        assertTrue(withUuid.length < withText.length + 12, "uuid ids are stored compactly");
    }

    @Test
    void emptyPropertiesNoKeyNoTagsAndMinimalSize() throws Exception {
        Message m = Message.builder("t").body(new byte[] {1}).build();
        Envelope env = new Envelope(UUID.randomUUID().toString(), m, 0, 0);
        byte[] bytes = EnvelopeCodec.encode(env);
        assertSame(env, EnvelopeCodec.decode(bytes));
        assertTrue(bytes.length <= 3 + 16 + 2 + 8 + 1 + 1 + 2 + 4, "compact: " + bytes.length + " bytes");
    }

    @Test
    void fourMebibyteBody() throws Exception {
        byte[] body = new byte[4 * 1024 * 1024];
        new Random(42).nextBytes(body);
        Message m = Message.builder("big").key("k").properties(Map.of("a", "b")).body(body).build();
        Envelope env = new Envelope(UUID.randomUUID().toString(), m, System.currentTimeMillis(), 15);
        assertSame(env, EnvelopeCodec.decode(EnvelopeCodec.encode(env)));
    }

    @Test
    void rejectsBadMagicVersionChecksumTruncationAndTrailingBytes() {
        Message m = Message.builder("t").key("k").body("payload").build();
        byte[] good = EnvelopeCodec.encode(new Envelope(UUID.randomUUID().toString(), m, 5, 1));

        byte[] badMagic = good.clone();
        badMagic[0] = 0x00;
        assertTrue(assertThrows(EnvelopeFormatException.class, () -> EnvelopeCodec.decode(badMagic))
                .getMessage().contains("magic"));

        byte[] badVersion = good.clone();
        badVersion[1] = 9;
        assertTrue(assertThrows(EnvelopeFormatException.class, () -> EnvelopeCodec.decode(badVersion))
                .getMessage().contains("version 9"));

        byte[] flipped = good.clone();
        flipped[good.length - 6] ^= 0x01;
        assertTrue(assertThrows(EnvelopeFormatException.class, () -> EnvelopeCodec.decode(flipped))
                .getMessage().contains("checksum"));

        for (int cut = 0; cut < good.length; cut++) {
            byte[] truncated = Arrays.copyOf(good, cut);
            assertThrows(EnvelopeFormatException.class, () -> EnvelopeCodec.decode(truncated), "cut at " + cut);
        }
        assertThrows(EnvelopeFormatException.class, () -> EnvelopeCodec.decode(null));
        assertThrows(EnvelopeFormatException.class,
                () -> EnvelopeCodec.decode("not an envelope at all".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void randomGarbageNeverDecodesAndNeverThrowsAnythingElse() {
        Random r = new Random(7);
        for (int i = 0; i < 2000; i++) {
            byte[] junk = new byte[r.nextInt(64)];
            r.nextBytes(junk);
            if (junk.length > 1) {
                junk[0] = EnvelopeCodec.MAGIC;
                junk[1] = EnvelopeCodec.VERSION;
            }
            assertThrows(EnvelopeFormatException.class, () -> EnvelopeCodec.decode(junk));
        }
    }

    @Test
    void deadLetterRecordKeepsTheRawValueByteForByte() {
        byte[] raw = {1, 2, 3, (byte) 0xFF};
        byte[] record = DeadLetterCodec.encode("undecodable value: checksum mismatch", 1234L, "consumer-1", raw);
        DeadLetterCodec.Record r = DeadLetterCodec.decode(record);
        assertEquals("undecodable value: checksum mismatch", r.reason());
        assertEquals(1234L, r.deadAt());
        assertEquals("consumer-1", r.consumerId());
        assertArrayEquals(raw, r.raw());
        DeadLetterCodec.Record foreign = DeadLetterCodec.decode(raw);
        assertArrayEquals(raw, foreign.raw());
        assertEquals("unreadable dead-letter record", foreign.reason());
    }
}
