/**
 * {@code redis-server} as a child process of the test JVM — {@link dev.smartmq.testkit.redis.RedisServer}
 * (standalone, AOF on), {@link dev.smartmq.testkit.redis.RedisCluster} (3 masters) and the JUnit 5
 * {@link dev.smartmq.testkit.redis.RedisExtension} — with the faults SmartMQ's tests cause on purpose:
 * SIGKILL, SIGSTOP/SIGCONT and restart on the same port and data. Signals go only to pids started here;
 * a shutdown hook kills whatever is still running when the JVM exits. {@link dev.smartmq.testkit.redis.RedisBinary}
 * picks the executable: configured, on the PATH, or the Redis 7.0.9 binary shipped in a Maven artifact.
 */
package dev.smartmq.testkit.redis;
