package dev.smartmq.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MessageTest {

    private static InvalidMessageException invalid(Message.Builder b) {
        return assertThrows(InvalidMessageException.class, b::build);
    }

    @Test
    void nullOrEmptyTopicIsRejected() {
        assertTrue(invalid(Message.builder((String) null).body("x")).getMessage().contains("topic"));
        assertTrue(invalid(Message.builder("").body("x")).getMessage().contains("topic"));
        assertTrue(invalid(Message.builder().body("x")).getMessage().contains("topic"));
    }

    @Test
    void tooLongTopicIsRejectedWithItsLength() {
        String t = "a".repeat(Message.MAX_TOPIC_LENGTH + 1);
        assertTrue(invalid(Message.builder(t).body("x")).getMessage().contains(String.valueOf(t.length())));
        assertDoesNotThrow(() -> Message.builder("a".repeat(Message.MAX_TOPIC_LENGTH)).body("x").build());
    }

    @ParameterizedTest
    @ValueSource(strings = {"orders.paid", "orders paid", "orders/paid", "订单", "a%b"})
    void illegalTopicCharactersAreRejectedNamingTheTopic(String topic) {
        assertTrue(invalid(Message.builder(topic).body("x")).getMessage().contains(topic));
    }

    @Test
    void topicAndPropertyNameCharactersAreExactlyTheDocumentedClasses() {
        // The builder checks characters by hand; this pins it to the documented regexes for every char.
        java.util.regex.Pattern topicRule = java.util.regex.Pattern.compile("[A-Za-z0-9_-]+");
        java.util.regex.Pattern nameRule = java.util.regex.Pattern.compile("[A-Za-z0-9_.-]+");
        for (char c = 0; c < Character.MAX_VALUE; c++) {
            String s = "a" + c;
            boolean topicOk = topicRule.matcher(s).matches();
            boolean nameOk = nameRule.matcher(s).matches();
            if (topicOk) {
                assertDoesNotThrow(() -> Message.builder(s).body("x").build(), s);
            } else {
                invalid(Message.builder(s).body("x"));
            }
            if (nameOk) {
                assertDoesNotThrow(() -> Message.builder("t").property(s, "v").body("x").build(), s);
            } else {
                invalid(Message.builder("t").property(s, "v").body("x"));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TBW102", "SCHEDULE_TOPIC_XXXX", "rmq_sys_trace", "RMQ_SYS_TRANS_HALF_TOPIC",
            "SELF_TEST_TOPIC", "OFFSET_MOVED_EVENT", "BenchmarkTest", "TRANS_CHECK_MAX_TIME_TOPIC"})
    void reservedTopicsAreRejected(String topic) {
        assertTrue(invalid(Message.builder(topic).body("x")).getMessage().contains("reserved"));
    }

    @Test
    void reservedRetryAndDlqPrefixesAreRejectedByCheckTopic() {
        // '%' is not a legal topic character either, so the builder rejects these before the reserved check.
        assertThrows(InvalidMessageException.class, () -> Message.checkTopic("%RETRY%group"));
        assertThrows(InvalidMessageException.class, () -> Message.checkTopic("%DLQ%group"));
        assertDoesNotThrow(() -> Message.checkTopic("order-paid_v2"));
    }

    @Test
    void keyRules() {
        assertTrue(invalid(Message.builder("t").key("").body("x")).getMessage().contains("key"));
        assertTrue(invalid(Message.builder("t").key("a b").body("x")).getMessage().contains("'a b'"));
        assertTrue(invalid(Message.builder("t").key("a\tb").body("x")).getMessage().contains("key"));
        invalid(Message.builder("t").key("k".repeat(Message.MAX_KEY_LENGTH + 1)).body("x"));
        assertEquals("order-42", Message.builder("t").key("order-42").body("x").build().key());
        assertEquals(null, Message.builder("t").body("x").build().key());
    }

    @Test
    void tagRules() {
        assertTrue(invalid(Message.builder("t").tags("").body("x")).getMessage().contains("tags"));
        assertTrue(invalid(Message.builder("t").tags("a b").body("x")).getMessage().contains("'a b'"));
        assertTrue(invalid(Message.builder("t").tags("a||b").body("x")).getMessage().contains("'a||b'"));
        assertEquals("TagA", Message.builder("t").tags("TagA").body("x").build().tags());
    }

    @ParameterizedTest
    @ValueSource(strings = {"\u0001", "\u0002"})
    void keysAndTagsWithRocketMQPropertySeparatorsAreRejected(String separator) {
        // RocketMQ encodes keys and tags into its property string, split on \u0001 (name/value) and \u0002.
        String crafted = "k" + separator + "SMQ_ID";
        InvalidMessageException key = invalid(Message.builder("t").key(crafted).body("x"));
        assertTrue(key.getMessage().contains("key"), key.getMessage());
        assertTrue(key.getMessage().contains("\\u000"), "the separator is named, escaped: " + key.getMessage());
        assertFalse(key.getMessage().contains(separator), "no raw control character in the message");
        InvalidMessageException tag = invalid(Message.builder("t").tags(crafted).body("x"));
        assertTrue(tag.getMessage().contains("tags"), tag.getMessage());
        assertFalse(tag.getMessage().contains(separator), "no raw control character in the message");
        invalid(Message.builder("t").property("p" + separator, "v").body("x"));
        invalid(Message.builder("t").property("p", "v" + separator).body("x"));
    }

    @Test
    void propertyRules() {
        assertTrue(invalid(Message.builder("t").property("bad name", "v").body("x")).getMessage()
                .contains("'bad name'"));
        assertTrue(invalid(Message.builder("t").property("SMQ_ID", "v").body("x")).getMessage()
                .contains(Message.RESERVED_PROPERTY_PREFIX));
        assertTrue(invalid(Message.builder("t").property("p", "a\u0001b").body("x")).getMessage()
                .contains("'p'"));
        invalid(Message.builder("t").property("p", "a\u0002b").body("x"));
        InvalidMessageException nullValue = assertThrows(InvalidMessageException.class,
                () -> Message.builder("t").property("p", null));
        assertTrue(nullValue.getMessage().contains("p=null"));
        InvalidMessageException nullName = assertThrows(InvalidMessageException.class,
                () -> Message.builder("t").property(null, "secret"));
        assertFalse(nullName.getMessage().contains("secret"), "property values never appear in messages");
        Message m = Message.builder("t").property("b", "2").property("a", "1").body("x").build();
        assertEquals(Map.of("a", "1", "b", "2"), m.properties());
        assertEquals("b", m.properties().keySet().iterator().next(), "insertion order kept");
        assertThrows(UnsupportedOperationException.class, () -> m.properties().put("c", "3"));
    }

    @Test
    void emptyOrMissingBodyIsRejected() {
        assertTrue(invalid(Message.builder("t")).getMessage().contains("body"));
        assertTrue(invalid(Message.builder("t").body(new byte[0])).getMessage().contains("body"));
        assertTrue(invalid(Message.builder("t").body((String) null)).getMessage().contains("body"));
    }

    @Test
    void checkBodySizeRejectsOnlyBodiesOverTheLimit() {
        Message m = Message.builder("t").body(new byte[100]).build();
        assertDoesNotThrow(() -> m.checkBodySize(100));
        InvalidMessageException e = assertThrows(InvalidMessageException.class, () -> m.checkBodySize(99));
        assertTrue(e.getMessage().contains("100") && e.getMessage().contains("99"), e.getMessage());
    }

    @Test
    void theBodyIsCopiedOnBuildAndNeverPrinted() {
        byte[] body = "secret-card-number".getBytes(StandardCharsets.UTF_8);
        Message m = Message.builder("t").property("card", "4111").body(body).build();
        body[0] = 'X';
        assertEquals('s', m.body()[0]);
        assertFalse(m.toString().contains("secret") || m.toString().contains("4111"), m.toString());
        Message copy = m.toBuilder().tags("T").build();
        assertArrayEquals(m.body(), copy.body());
        assertEquals("T", copy.tags());
        assertEquals(m.properties(), copy.properties());
    }
}
