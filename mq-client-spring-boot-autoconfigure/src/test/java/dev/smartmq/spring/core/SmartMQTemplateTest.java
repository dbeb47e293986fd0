package dev.smartmq.spring.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.Message;
import dev.smartmq.api.ReceivedMessage;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartProducer;
import dev.smartmq.spring.boot.autoconfigure.internal.SmartMQListenerRegistrar;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.BeanInitializationException;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.mock.env.MockEnvironment;

/** Destination parsing, conversion and listener-method rules, without servers. */
class SmartMQTemplateTest {

    record Order(String id, long cents) {
    }

    private final DefaultSmartMQMessageConverter json = new DefaultSmartMQMessageConverter(ObjectMapper::new);
    private final SmartMQTemplate template = new SmartMQTemplate(new RefusingProducer(), json);

    @Test
    void destinationPayloadKeyAndHeadersMakeTheMessage() throws Exception {
        Message m = template.message("ORDER_PAID:paid", new Order("o-1", 250), "o-1", Map.of("source", "web"));
        assertEquals("ORDER_PAID", m.topic());
        assertEquals("paid", m.tags());
        assertEquals("o-1", m.key());
        assertEquals(Map.of("source", "web"), m.properties());
        assertEquals(new Order("o-1", 250), new ObjectMapper().readValue(m.body(), Order.class));

        Message plain = template.message("NOTES", "hello", null, Map.of());
        assertNull(plain.tags());
        assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), plain.body());
        byte[] raw = {1, 2, 3};
        assertArrayEquals(raw, template.message("NOTES", raw, null, null).body());
    }

    @Test
    void badInputIsRefusedBeforeSendingAndAsyncSendsFailTheFuture() {
        assertThrows(InvalidMessageException.class, () -> template.message(" ", "x", null, null));
        assertThrows(InvalidMessageException.class, () -> template.message("not a topic", "x", null, null));
        SmartMQTemplate noJson = new SmartMQTemplate(new RefusingProducer(), new DefaultSmartMQMessageConverter(() -> null));
        InvalidMessageException e = assertThrows(InvalidMessageException.class,
                () -> noJson.message("T", new Order("o", 1), null, null));
        assertTrue(e.getMessage().contains("no Jackson ObjectMapper"), e.getMessage());
        CompletableFuture<SendReceipt> f = template.sendAsync("bad topic", "x");
        CompletionException ce = assertThrows(CompletionException.class, f::join);
        assertTrue(ce.getCause() instanceof InvalidMessageException);
    }

    @Test
    void bodiesConvertToGenericParameterTypes() {
        byte[] body = "[{\"id\":\"a\",\"cents\":1},{\"id\":\"b\",\"cents\":2}]".getBytes(StandardCharsets.UTF_8);
        Type listOfOrders = new ParameterizedTypeReference<List<Order>>() { }.getType();
        assertEquals(List.of(new Order("a", 1), new Order("b", 2)), json.fromBody(body, listOfOrders));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> json.fromBody("not json".getBytes(StandardCharsets.UTF_8), Order.class));
        assertTrue(e.getMessage().contains("Order"), e.getMessage());
    }

    static class TwoParameters {
        @SmartMQListener(topic = "T", group = "g")
        public void handle(String a, String b) {
        }
    }

    static class WrongReturn {
        @SmartMQListener(topic = "T", group = "g")
        public String handle(ReceivedMessage m) {
            return "";
        }
    }

    static class BadGroup {
        @SmartMQListener(topic = "T", group = "${group.name}")
        public void handle(String s) {
        }
    }

    @Test
    void listenerMethodsAreCheckedWhenTheirBeanIsCreated() {
        DefaultListableBeanFactory bf = new DefaultListableBeanFactory();
        SmartMQListenerRegistrar registrar = new SmartMQListenerRegistrar(bf.getBeanProvider(dev.smartmq.core.SmartMQ.class),
                bf.getBeanProvider(SmartMQMessageConverter.class), new MockEnvironment().withProperty("group.name", "bad group"));
        BeanInitializationException two = assertThrows(BeanInitializationException.class,
                () -> registrar.postProcessAfterInitialization(new TwoParameters(), "two"));
        assertTrue(two.getMessage().contains("two.handle") && two.getMessage().contains("exactly one parameter"));
        assertThrows(BeanInitializationException.class,
                () -> registrar.postProcessAfterInitialization(new WrongReturn(), "wrong"));
        BeanInitializationException group = assertThrows(BeanInitializationException.class,
                () -> registrar.postProcessAfterInitialization(new BadGroup(), "badGroup"));
        assertTrue(group.getMessage().contains("group"), group.getMessage());
        assertTrue(registrar.subscriptions().isEmpty());
    }

    /** A producer that must not be reached by these tests. */
    private static final class RefusingProducer implements SmartProducer {
        @Override
        public SendReceipt send(Message message) {
            throw new AssertionError("no send expected");
        }

        @Override
        public CompletableFuture<SendReceipt> sendAsync(Message message) {
            throw new AssertionError("no send expected");
        }

        @Override
        public void close() {
        }
    }
}
