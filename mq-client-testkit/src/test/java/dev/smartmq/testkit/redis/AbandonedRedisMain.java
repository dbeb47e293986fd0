package dev.smartmq.testkit.redis;

/**
 * Run in a child JVM by {@link JvmExitIT}: starts a redis-server, pauses it (a SIGSTOPped child is the
 * hardest to clean up), prints its pid and exits WITHOUT closing it, as a test JVM that crashed or forgot to
 * would. Only the testkit's shutdown hook stands between that and a leaked process.
 */
public final class AbandonedRedisMain {

    private AbandonedRedisMain() {
    }

    public static void main(String[] args) {
        RedisServer server = RedisServer.start();
        server.pause();
        System.out.println("PID " + server.pid());
        System.out.flush();
        System.exit(0);
    }
}
