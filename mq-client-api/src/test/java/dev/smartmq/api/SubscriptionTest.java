package dev.smartmq.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SubscriptionTest {

    @Test
    void allTagsAcceptsEverythingIncludingUntagged() {
        Subscription s = Subscription.of("orders", "billing");
        assertTrue(s.acceptsTag("A"));
        assertTrue(s.acceptsTag(null));
        assertEquals(Ordering.CONCURRENT, s.ordering());
    }

    @Test
    void anExpressionAcceptsOnlyItsTags() {
        Subscription s = Subscription.builder("orders", "billing").tagExpression(" Paid || Refunded ").build();
        assertTrue(s.acceptsTag("Paid"));
        assertTrue(s.acceptsTag("Refunded"));
        assertFalse(s.acceptsTag("Created"));
        assertFalse(s.acceptsTag("Pai"));
        assertFalse(s.acceptsTag(null), "an untagged message does not match a tag list");
        assertEquals("Paid || Refunded", s.tagExpression());
    }

    @Test
    void validationNamesTheFieldAndTheBadValue() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> Subscription.of("orders", "bad group"));
        assertTrue(e.getMessage().startsWith("group") && e.getMessage().contains("'bad group'"), e.getMessage());
        e = assertThrows(ConfigurationException.class, () -> Subscription.of("orders", null));
        assertTrue(e.getMessage().contains("group"), e.getMessage());
        e = assertThrows(ConfigurationException.class, () -> Subscription.of("bad.topic", "g"));
        assertTrue(e.getMessage().contains("bad.topic"), e.getMessage());
        e = assertThrows(ConfigurationException.class,
                () -> Subscription.builder("orders", "g").tagExpression(" ").build());
        assertTrue(e.getMessage().startsWith("tagExpression"), e.getMessage());
        e = assertThrows(ConfigurationException.class, () -> Subscription.builder("orders", "g").ordering(null).build());
        assertTrue(e.getMessage().startsWith("ordering"), e.getMessage());
    }

    @Test
    void equalityCoversEveryField() {
        assertEquals(Subscription.of("t", "g"), Subscription.of("t", "g"));
        assertFalse(Subscription.of("t", "g").equals(Subscription.builder("t", "g").ordered().build()));
    }
}
