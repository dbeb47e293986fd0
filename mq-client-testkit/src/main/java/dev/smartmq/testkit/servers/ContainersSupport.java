package dev.smartmq.testkit.servers;

/**
 * Whether containers mode can run here: Testcontainers on the class path and a Docker engine reachable. Touches
 * Testcontainers classes only after checking they exist, so the testkit works without the optional dependency.
 * Stateless; thread-safe.
 */
final class ContainersSupport {

    static final String ARTIFACT = "org.testcontainers:testcontainers";

    private ContainersSupport() {
    }

    /** {@code null} if containers can run, else why not (for the skip message). */
    static String unavailableReason() {
        try {
            Class.forName("org.testcontainers.DockerClientFactory", false, ContainersSupport.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(TestServers.PROPERTY + "=containers needs " + ARTIFACT
                    + " on the test class path: add it as a test dependency (the testkit declares it optional)");
        }
        return dev.smartmq.testkit.servers.internal.Containers.dockerUnavailableReason();
    }
}
