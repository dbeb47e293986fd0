package dev.smartmq.zookeeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.smartmq.api.SwitchMode;
import dev.smartmq.api.SwitchState;
import dev.smartmq.api.SwitchStatus;
import dev.smartmq.zookeeper.internal.MalformedSwitchDocumentException;
import dev.smartmq.zookeeper.internal.SwitchDocumentCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class SwitchDocumentCodecTest {

    private final SwitchDocumentCodec codec = new SwitchDocumentCodec();

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void roundTripsEveryField() throws Exception {
        SwitchStatus s = new SwitchStatus(SwitchState.DEGRADED, SwitchMode.MANUAL, "drill \"42\"", "ops/alice",
                Instant.parse("2026-11-21T10:00:00.123Z"), Instant.parse("2026-11-21T11:00:00Z"), 7);
        byte[] bytes = codec.encode(s);
        assertEquals(s, codec.decode(bytes));
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertTrue(text.startsWith("{\"v\":1,\"state\":\"DEGRADED\""), text);
    }

    @Test
    void nullExpiryAndMissingOptionalFields() throws Exception {
        SwitchStatus s = codec.decode(json(
                "{\"v\":1,\"state\":\"NORMAL\",\"mode\":\"AUTO\",\"changedAt\":\"2026-01-01T00:00:00Z\",\"epoch\":3,\"extra\":1}"));
        assertEquals(SwitchState.NORMAL, s.state());
        assertEquals(3, s.epoch());
        assertEquals(null, s.expiresAt());
        assertEquals("", s.reason());
    }

    @Test
    void rejectsWhatItCannotRead() {
        String ok = "\"state\":\"NORMAL\",\"mode\":\"AUTO\",\"changedAt\":\"2026-01-01T00:00:00Z\",\"epoch\":3";
        String[] bad = {
            "", "not json", "[1,2]", "{}", "null",
            "{\"v\":2," + ok + "}",                                   // future version
            "{\"v\":\"1\"," + ok + "}",                                // v not a number
            "{\"v\":1," + ok.replace("NORMAL", "HALF_OPEN") + "}",     // unknown state
            "{\"v\":1," + ok.replace("AUTO", "SOMETIMES") + "}",       // unknown mode
            "{\"v\":1," + ok.replace("\"epoch\":3", "\"epoch\":-1") + "}",
            "{\"v\":1," + ok.replace("\"epoch\":3", "\"epoch\":1.5") + "}",
            "{\"v\":1," + ok.replace("2026-01-01T00:00:00Z", "yesterday") + "}",
            "{\"v\":1," + ok.replace(",\"epoch\":3", "") + "}",        // missing epoch
        };
        for (String b : bad) {
            assertThrows(MalformedSwitchDocumentException.class, () -> codec.decode(json(b)), b);
        }
    }

    @Test
    void salvagesTheEpochOfAFutureDocument() {
        assertEquals(OptionalLong.of(50), codec.salvageEpoch(json("{\"v\":2,\"state\":\"NEW\",\"epoch\":50}")));
        assertEquals(OptionalLong.empty(), codec.salvageEpoch(json("{{{")));
        assertEquals(OptionalLong.empty(), codec.salvageEpoch(json("{\"epoch\":\"x\"}")));
    }
}
