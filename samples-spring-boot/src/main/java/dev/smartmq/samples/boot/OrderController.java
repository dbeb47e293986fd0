package dev.smartmq.samples.boot;

import dev.smartmq.api.SendReceipt;
import dev.smartmq.spring.core.SmartMQTemplate;
import java.util.Map;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /orders/{id}/pay?cents=...}: publishes an {@link OrderPaid} keyed by the order id. */
@RestController
public class OrderController {
    static final String TOPIC = "ORDER_PAID";

    private final SmartMQTemplate template;

    public OrderController(SmartMQTemplate template) {
        this.template = template;
    }

    @PostMapping("/orders/{id}/pay")
    public Map<String, Object> pay(@PathVariable("id") String id, @RequestParam(name = "cents", defaultValue = "100") long cents) {
        SendReceipt r = template.send(TOPIC + ":paid", new OrderPaid(id, cents), id, Map.of("source", "rest"));
        // route is MQ normally, FALLBACK while the MQ is degraded: either way the event is stored.
        return Map.of("orderId", id, "messageId", r.messageId(), "route", r.route().name());
    }
}
