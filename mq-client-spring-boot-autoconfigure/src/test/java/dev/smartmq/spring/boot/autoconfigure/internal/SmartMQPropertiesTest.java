package dev.smartmq.spring.boot.autoconfigure.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smartmq.api.SmartMQConfig;
import dev.smartmq.rocketmq.RocketMQTransport;
import dev.smartmq.spring.boot.autoconfigure.InvalidSmartMQPropertyException;
import dev.smartmq.spring.boot.autoconfigure.SmartMQAutoConfiguration;
import dev.smartmq.spring.boot.autoconfigure.SmartMQProperties;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.mock.env.MockEnvironment;

/** Properties → builders, without servers: defaults, rocketmq-spring names, refusals naming property and value. */
class SmartMQPropertiesTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SmartMQAutoConfiguration.class))
            .withPropertyValues("smartmq.rocketmq.name-server=127.0.0.1:1", "smartmq.zookeeper.connect-string=127.0.0.1:1");

    @Test
    void engineDefaultsAreSmartMQConfigDefaults() {
        assertEquals(SmartMQConfig.ofDefaults().toString(), new SmartMQProperties().getEngine().toConfig("default").toString());
        assertEquals(SmartMQConfig.DEFAULT_NAMESPACE, new SmartMQProperties().getNamespace());
    }

    @Test
    void everyEngineSettingHasIdeMetadata() throws Exception {
        JsonNode metadata;
        try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertNotNull(in, "the configuration processor ran");
            metadata = new ObjectMapper().readTree(in);
        }
        Set<String> names = new TreeSet<>();
        metadata.get("properties").forEach(p -> names.add(p.get("name").asText()));
        Set<String> settings = new TreeSet<>();
        for (Method m : SmartMQConfig.Builder.class.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && m.getParameterCount() == 1 && !m.getName().equals("namespace")) {
                settings.add("smartmq.engine." + m.getName().replaceAll("([A-Z])", "-$1").toLowerCase());
            }
        }
        assertTrue(settings.size() >= 20, settings.toString());
        Set<String> missing = settings.stream().filter(s -> !names.contains(s)).collect(Collectors.toSet());
        assertTrue(missing.isEmpty(), "no metadata for " + missing);
        assertTrue(names.containsAll(Set.of("smartmq.namespace", "smartmq.redis.cluster.nodes",
                "smartmq.redis.ssl.bundle", "smartmq.zookeeper.auth.credentials-file", "rocketmq.name-server",
                "rocketmq.producer.group")), names.toString());
    }

    @Test
    void aRefusedEngineValueFailsTheContextWithPropertyAndValue() {
        runner.withPropertyValues("smartmq.engine.failure-threshold=0").run(ctx -> {
            Throwable failure = ctx.getStartupFailure();
            InvalidSmartMQPropertyException e = cause(failure);
            assertEquals("smartmq.engine.failure-threshold", e.property());
            assertEquals("'0'", e.value());
            assertTrue(e.getMessage().contains("smartmq.engine.failure-threshold='0'"), e.getMessage());
            FailureAnalysis analysis = new InvalidPropertyFailureAnalyzer().analyze(failure);
            assertTrue(analysis.getDescription().contains("'smartmq.engine.failure-threshold' with the value '0'"),
                    analysis.getDescription());
        });
    }

    @Test
    void valuesOfTheWrongTypeFailWithTheirNameToo() {
        runner.withPropertyValues("smartmq.engine.consumer-threads=many").run(ctx -> {
            String all = messages(ctx.getStartupFailure());
            assertTrue(all.contains("smartmq.engine.consumer-threads") && all.contains("many"), all);
        });
    }

    @Test
    void otherRefusalsNameTheirProperty() {
        expectRefused("smartmq.namespace", "smartmq.namespace=bad namespace");
        expectRefused("smartmq.redis.cluster.nodes[1]", "smartmq.redis.cluster.nodes=127.0.0.1:7000,nohost");
        expectRefused("smartmq.redis.pool-size", "smartmq.redis.pool-size=0");
        expectRefused("smartmq.rocketmq.consume-threads", "smartmq.rocketmq.consume-threads=1000");
        expectRefused("smartmq.zookeeper.auth.credentials-file",
                "smartmq.zookeeper.auth.credentials-file=/nonexistent/zk-digest");
        expectRefused("smartmq.engine.probe-topic", "smartmq.engine.probe-topic=not a topic");
        expectRefused("smartmq.redis.envelope-key", "smartmq.redis.envelope-key=c2hvcnQ=");
        expectRefused("smartmq.redis.envelope-key", "smartmq.redis.envelope-key=not*base64");
        // A refused combination names the property the builder names.
        expectRefused("smartmq.engine.probe-timeout", "smartmq.engine.probe-interval=500ms",
                "smartmq.engine.probe-timeout=800ms");
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(SmartMQAutoConfiguration.class))
                .withPropertyValues("smartmq.zookeeper.connect-string=127.0.0.1:1")
                .run(ctx -> assertEquals("smartmq.rocketmq.name-server", cause(ctx.getStartupFailure()).property()));
    }

    @Test
    void secretsAreNeverShown() {
        runner.withPropertyValues("smartmq.rocketmq.access-key=ak").run(ctx -> {
            String all = messages(ctx.getStartupFailure());
            assertTrue(all.contains("access-key and secret-key must be set together"), all);
        });
    }

    @Test
    void anEnvelopeKeyTurnsOnAuthenticationAndIsNeverShown() {
        SmartMQProperties.Redis r = new SmartMQProperties.Redis();
        String key = java.util.Base64.getEncoder().encodeToString(new byte[32]);
        r.setEnvelopeKey(key);
        String description = SmartMQFactory.store(r, "orders", null).toString();
        assertTrue(description.contains("envelopeAuthentication=HMAC-SHA256"), description);
        assertTrue(!description.contains(key), description);
    }

    @Test
    void rocketmqSpringPropertyNamesAreAccepted() {
        MockEnvironment env = new MockEnvironment()
                .withProperty(SmartMQFactory.RS_NAME_SERVER, "10.0.0.1:9876")
                .withProperty(SmartMQFactory.RS_PRODUCER_GROUP, "order-service")
                .withProperty(SmartMQFactory.RS_SEND_TIMEOUT, "1500");
        RocketMQTransport t = SmartMQFactory.transport(new SmartMQProperties.RocketMQ(), env);
        assertTrue(t.toString().contains("nameServer=10.0.0.1:9876"), t.toString());
        assertTrue(t.toString().contains("producerGroup=order-service"), t.toString());
        assertTrue(t.toString().contains("sendTimeout=PT1.5S"), t.toString());

        SmartMQProperties.RocketMQ own = new SmartMQProperties.RocketMQ();
        own.setNameServer("10.0.0.2:9876");
        assertTrue(SmartMQFactory.transport(own, env).toString().contains("nameServer=10.0.0.2:9876"),
                "smartmq.rocketmq.* wins over rocketmq.*");

        MockEnvironment bad = new MockEnvironment().withProperty(SmartMQFactory.RS_NAME_SERVER, "h:1")
                .withProperty(SmartMQFactory.RS_SEND_TIMEOUT, "soon");
        InvalidSmartMQPropertyException e = assertThrows(InvalidSmartMQPropertyException.class,
                () -> SmartMQFactory.transport(new SmartMQProperties.RocketMQ(), bad));
        assertEquals(SmartMQFactory.RS_SEND_TIMEOUT, e.property());
    }

    @Test
    void zooKeeperDigestCredentialsComeFromAFile() throws Exception {
        Path file = java.nio.file.Files.createTempFile("zk-digest", ".txt");
        try {
            java.nio.file.Files.writeString(file, "svc:secret\n");
            SmartMQProperties.ZooKeeper z = new SmartMQProperties.ZooKeeper();
            z.setConnectString("127.0.0.1:1");
            z.getAuth().setCredentialsFile(file);
            String description = SmartMQFactory.zkSwitch(z, "orders").toString();
            assertTrue(!description.contains("secret"), "never shown: " + description);
            java.nio.file.Files.writeString(file, "");
            InvalidSmartMQPropertyException e = assertThrows(InvalidSmartMQPropertyException.class,
                    () -> SmartMQFactory.zkSwitch(z, "orders"));
            assertEquals("smartmq.zookeeper.auth.credentials-file", e.property());
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    private void expectRefused(String property, String... values) {
        runner.withPropertyValues(values).run(ctx -> {
            InvalidSmartMQPropertyException e = cause(ctx.getStartupFailure());
            assertEquals(property, e.property(), e.getMessage());
            assertTrue(e.getMessage().contains(property), e.getMessage());
        });
    }

    private static InvalidSmartMQPropertyException cause(Throwable failure) {
        assertNotNull(failure, "the context must fail to start");
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof InvalidSmartMQPropertyException e) {
                return e;
            }
        }
        return assertInstanceOf(InvalidSmartMQPropertyException.class, failure, messages(failure));
    }

    private static String messages(Throwable failure) {
        assertNotNull(failure, "the context must fail to start");
        StringBuilder b = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            b.append(t.getMessage()).append(" | ");
        }
        return b.toString();
    }
}
