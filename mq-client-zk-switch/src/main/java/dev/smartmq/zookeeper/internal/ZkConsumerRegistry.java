package dev.smartmq.zookeeper.internal;

import dev.smartmq.api.ConfigurationException;
import dev.smartmq.spi.ConsumerRegistration;
import dev.smartmq.spi.ConsumerRegistry;
import dev.smartmq.spi.InstanceReport;
import dev.smartmq.spi.SwitchAccessDeniedException;
import dev.smartmq.spi.SwitchUnavailableException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The namespace's consumer registry on ZooKeeper: PERSISTENT group nodes under {@code groups/<topic>/<group>}
 * with one EPHEMERAL node per live consumer instance ({@link ZkConsumerRegistration}), a {@link CuratorCache} of
 * them for the never-blocking reads, direct reads for the ones that must not miss a fresh registration, and this
 * instance's entry in the instance registry ({@link ZkInstanceRegistry}). Registrations made while ZooKeeper is
 * unreachable are completed on the next re-synchronisation ({@link #resync}).
 *
 * <p>Thread rules: every {@link ConsumerRegistry} method may be called from any thread; {@link #groups} and
 * {@link #registeredGroups} never block, {@link #readGroups} and {@link #liveConsumers} block up to one operation
 * timeout. Activation and instance-registry writes run on the session's serial executor.
 */
public final class ZkConsumerRegistry implements ConsumerRegistry {
    private static final Logger log = LoggerFactory.getLogger(ZkConsumerRegistry.class);
    private static final int MAX_NODE_NAME = 255;
    /** Topic and group names, as {@code Message} and {@code Subscription} accept them. */
    private static final Pattern NAME_RULE = Pattern.compile("[A-Za-z0-9_-]{1,255}");

    private final ZkSession session;
    private final ZkLayout layout;
    private final NamespaceBootstrap bootstrap;
    private final ZkReachability reachability;
    /** This instance's entry in the instance registry (issue 22); touched on the serial executor only. */
    private final ZkInstanceRegistry instances;
    /** The engine's instance id from its last report (the registry's name for this instance). */
    private volatile String reportedInstanceId;
    private final Map<String, ZkConsumerRegistration> registrations = new ConcurrentHashMap<>();
    /** Registry paths with a name that breaks the naming rule, each reported once. */
    private final Set<String> reportedBadNames = ConcurrentHashMap.newKeySet();
    private volatile CuratorCache groupsCache;

    public ZkConsumerRegistry(ZkSession session, NamespaceBootstrap bootstrap, ZkReachability reachability) {
        this.session = session;
        this.layout = session.layout();
        this.bootstrap = bootstrap;
        this.reachability = reachability;
        this.instances = new ZkInstanceRegistry(layout, bootstrap.writerAcl(), bootstrap.structureAcl());
    }

    /** Starts the cache of the group nodes. */
    public void start(CuratorFramework c) {
        CuratorCache cache = CuratorCache.build(c, layout.groupsPath());
        cache.start();
        groupsCache = cache;
    }

    /** On the serial executor, once ZooKeeper is reachable again: completes pending work. */
    public void resync(CuratorFramework c) {
        for (ZkConsumerRegistration r : registrations.values()) {
            activate(r);
        }
        instances.sync(c, true);
    }

    /** Leadership is part of the instance's entry. */
    public void leadershipChanged(boolean leader) {
        session.runOnEvents(() -> instances.leadership(session.client(), leader, reachability.isReachableNow()));
    }

    /** Closes this instance's registrations (the first step of closing). */
    public void closeRegistrations() {
        for (ZkConsumerRegistration r : List.copyOf(registrations.values())) {
            r.close();
        }
    }

    /** Removes this instance's entry (queued on the serial executor) and stops the cache. */
    public void close() {
        session.runOnEvents(() -> instances.remove(session.client()));
        CuratorCache cache = groupsCache;
        if (cache != null) {
            cache.close();
        }
    }

    @Override
    public ConsumerRegistration registerConsumer(String topic, String group, String consumerId) {
        checkNodeName("topic", topic);
        checkNodeName("group", group);
        checkNodeName("consumerId", consumerId);
        session.requireStarted();
        String path = layout.consumerPath(topic, group, consumerId);
        ZkConsumerRegistration reg = new ZkConsumerRegistration(topic, group, consumerId, path, this::unregister);
        if (registrations.putIfAbsent(path, reg) != null) {
            throw new IllegalStateException("consumer " + consumerId + " is already registered for topic " + topic
                    + " and group " + group);
        }
        session.events().execute(() -> activate(reg));
        return reg;
    }

    /** On the serial executor: makes the group node PERSISTENT, then starts the ephemeral instance node. */
    private void activate(ZkConsumerRegistration reg) {
        if (reg.isClosed() || reg.isActive() || !reachability.isReachableNow()) {
            return; // retried on the next (re)connection
        }
        CuratorFramework c = session.client();
        long deadline = session.deadline();
        try {
            bootstrap.ensureWriterNode(c, layout.groupsPath(), deadline);
            bootstrap.ensureWriterNode(c, layout.topicPath(reg.topic()), deadline);
            bootstrap.ensureWriterNode(c, layout.groupPath(reg.topic(), reg.group()), deadline);
            byte[] data = session.settings().instanceId().getBytes(StandardCharsets.UTF_8);
            // Created here first so that an ACL refusal is reported (the PersistentNode would retry it silently).
            CuratorEvent e = ZkCalls.call(deadline, "create of " + reg.path(), cb -> c.create()
                    .withMode(CreateMode.EPHEMERAL).inBackground(cb).forPath(reg.path(), data));
            KeeperException.Code rc = ZkCalls.code(e);
            if (rc == KeeperException.Code.NOAUTH) {
                throw new SwitchAccessDeniedException("create of " + reg.path() + " refused", KeeperException.create(rc));
            }
            if (rc != KeeperException.Code.OK && rc != KeeperException.Code.NODEEXISTS) {
                throw ZkCalls.unavailable("create of " + reg.path(), rc);
            }
            if (reg.activate(c, data)) {
                log.info("SmartMQ switch [{}]: registered consumer {} of group {} for topic {}", session.namespace(),
                        reg.consumerId(), reg.group(), reg.topic());
            }
        } catch (SwitchAccessDeniedException e) {
            log.error("SmartMQ switch [{}]: this identity may not register {} (ZooKeeper ACL: only the configured "
                    + "writers may); the registration stays pending: {}", session.namespace(), reg.path(),
                    e.getMessage());
        } catch (SwitchUnavailableException e) {
            log.warn("SmartMQ switch [{}]: registration of {} is pending until ZooKeeper is reachable: {}",
                    session.namespace(), reg.path(), e.getMessage());
        }
    }

    private void unregister(ZkConsumerRegistration reg, PersistentNode node) {
        registrations.remove(reg.path(), reg);
        if (node == null) {
            return;
        }
        // PersistentNode.close() deletes in the foreground with the client's retry policy: bound the wait.
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            session.runInBackground(() -> {
                try {
                    node.close();
                    done.complete(null);
                } catch (IOException | RuntimeException e) {
                    done.completeExceptionally(e);
                }
            });
            done.get(session.settings().operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException | TimeoutException | java.util.concurrent.ExecutionException e) {
            log.warn("SmartMQ switch [{}]: could not delete {} now ({}); it disappears with the session",
                    session.namespace(), reg.path(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public Set<String> groups(String topic) {
        Objects.requireNonNull(topic, "topic");
        return registeredGroups().getOrDefault(topic, Set.of());
    }

    @Override
    public Map<String, Set<String>> registeredGroups() {
        CuratorCache cache = groupsCache;
        if (cache == null) {
            return Map.of();
        }
        String prefix = layout.groupsPath() + "/";
        Map<String, Set<String>> out = new TreeMap<>();
        cache.stream().map(ChildData::getPath).filter(p -> p.startsWith(prefix)).forEach(p -> {
            String[] parts = p.substring(prefix.length()).split("/");
            if (parts.length > 2) {
                return; // a consumer instance
            }
            if (!NAME_RULE.matcher(parts[0]).matches()
                    || (parts.length == 2 && !NAME_RULE.matcher(parts[1]).matches())) {
                reportBadName(parts.length == 2 && NAME_RULE.matcher(parts[0]).matches() ? p : prefix + parts[0]);
                return;
            }
            if (parts.length == 1) {
                out.computeIfAbsent(parts[0], k -> new TreeSet<>());
            } else {
                out.computeIfAbsent(parts[0], k -> new TreeSet<>()).add(parts[1]);
            }
        });
        Map<String, Set<String>> frozen = new TreeMap<>();
        out.forEach((k, v) -> frozen.put(k, Set.copyOf(v)));
        return Map.copyOf(frozen);
    }

    /**
     * Read from ZooKeeper (not from the cache), so that a group registered a moment ago is included; names that
     * break the naming rule are skipped (one ERROR line each). Empty while ZooKeeper is unreachable or does not
     * answer within the operation timeout.
     */
    @Override
    public Optional<Set<String>> readGroups(String topic) {
        checkNodeName("topic", topic);
        CuratorFramework c = session.requireStarted();
        if (!reachability.isReachable() || !NAME_RULE.matcher(topic).matches()) {
            return reachability.isReachable() ? Optional.of(Set.of()) : Optional.empty();
        }
        return children(c, layout.topicPath(topic), "list of groups").map(children -> {
            Set<String> groups = new TreeSet<>();
            for (String g : children) {
                if (NAME_RULE.matcher(g).matches()) {
                    groups.add(g);
                } else {
                    reportBadName(layout.groupPath(topic, g));
                }
            }
            return Set.copyOf(groups);
        });
    }

    /**
     * Read from ZooKeeper (not from a cache), so that an instance registered a moment ago is never taken
     * for dead. Empty while ZooKeeper is unreachable or does not answer within the operation timeout.
     */
    @Override
    public Optional<Set<String>> liveConsumers(String topic, String group) {
        checkNodeName("topic", topic);
        checkNodeName("group", group);
        CuratorFramework c = session.requireStarted();
        if (!reachability.isReachable()) {
            return Optional.empty();
        }
        return children(c, layout.groupPath(topic, group), "list of consumers").map(Set::copyOf);
    }

    @Override
    public void reportInstance(InstanceReport report) {
        Objects.requireNonNull(report, "report");
        reportedInstanceId = report.instanceId();
        session.runOnEvents(() -> instances.update(session.client(), report, reachability.isReachableNow()));
    }

    /** The engine's instance id from its last {@link #reportInstance}, if it reported yet. */
    public Optional<String> reportedInstanceId() {
        return Optional.ofNullable(reportedInstanceId);
    }

    /**
     * The children of {@code path} (none if it does not exist); empty when ZooKeeper cannot answer. Synced with the
     * leader first: ZooKeeper reads are not linearizable, and the server this client talks to may not yet have applied
     * a registration another client's server has confirmed; the callers promise to include it.
     */
    private Optional<List<String>> children(CuratorFramework c, String path, String what) {
        try {
            long deadline = session.deadline();
            KeeperException.Code synced = ZkCalls.code(ZkCalls.call(deadline, "sync before the " + what,
                    cb -> c.sync().inBackground(cb).forPath(path)));
            if (synced != KeeperException.Code.OK && synced != KeeperException.Code.NONODE) {
                return Optional.empty();
            }
            CuratorEvent e = ZkCalls.call(deadline, what,
                    cb -> c.getChildren().inBackground(cb).forPath(path));
            KeeperException.Code rc = ZkCalls.code(e);
            if (rc == KeeperException.Code.NONODE) {
                return Optional.of(List.of());
            }
            if (rc != KeeperException.Code.OK || !reachability.isReachable()) {
                return Optional.empty();
            }
            return Optional.of(e.getChildren());
        } catch (SwitchUnavailableException e) {
            return Optional.empty();
        }
    }

    private void reportBadName(String path) {
        if (reportedBadNames.add(path)) {
            log.error("SmartMQ switch [{}]: IGNORING registry node {}: topic and group names must be "
                    + "[A-Za-z0-9_-]+ (written by hand or by a foreign client? delete it)", session.namespace(), path);
        }
    }

    private static void checkNodeName(String field, String value) {
        ConfigurationException.check(value != null && !value.isEmpty() && value.length() <= MAX_NODE_NAME
                && value.indexOf('/') < 0 && !".".equals(value) && !"..".equals(value)
                && value.chars().noneMatch(Character::isISOControl), field, value,
                "must be 1-" + MAX_NODE_NAME + " characters without '/' or control characters and not '.' or '..'");
    }
}
