package dev.smartmq.samples.boot;

import dev.smartmq.api.SendReceipt;
import dev.smartmq.core.SmartMQ;
import dev.smartmq.spring.core.SmartMQTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/** With {@code orders.demo=true} (the default): logs switch events and pays a few orders at start. */
@Component
@ConditionalOnProperty(name = "orders.demo", havingValue = "true", matchIfMissing = true)
public class DemoOrders implements ApplicationRunner {
    private static final Logger LOG = LoggerFactory.getLogger(DemoOrders.class);

    private final SmartMQTemplate template;
    private final SmartMQ mq;

    public DemoOrders(SmartMQTemplate template, SmartMQ mq) {
        this.template = template;
        this.mq = mq;
    }

    @Override
    public void run(ApplicationArguments args) {
        mq.events().onStateTransition(e -> LOG.warn("SmartMQ event: {} -> {}{}", e.previous(), e.current(),
                e.locallyDegraded() ? " (local)" : ""));
        for (int i = 1; i <= 3; i++) {
            SendReceipt r = template.send(OrderController.TOPIC + ":paid", new OrderPaid("demo-" + i, 100L * i),
                    "demo-" + i);
            LOG.info("paid order demo-{}: message {} via {}", i, r.messageId(), r.route());
        }
        LOG.info("order service ready: POST /orders/{id}/pay, GET /actuator/health/smartmq, GET /actuator/prometheus");
    }
}
