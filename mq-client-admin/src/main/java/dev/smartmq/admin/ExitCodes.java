package dev.smartmq.admin;

/**
 * Exit codes of {@code smartmq-admin}. Scripts may rely on them; they never change meaning.
 */
public final class ExitCodes {

    /** The command did what was asked (or found nothing to do, e.g. restoring a switch that is not degraded). */
    public static final int OK = 0;
    /** A runtime failure: ZooKeeper, Redis or RocketMQ unreachable or failing, an unexpected error. */
    public static final int FAILURE = 1;
    /** Bad arguments or usage: unknown option, missing or blank value, a destructive command without {@code --yes}. */
    public static final int USAGE = 2;
    /** The identity used may not do this (ZooKeeper ACL, Redis AUTH/ACL). Nothing was changed. */
    public static final int ACCESS_DENIED = 3;
    /**
     * A precondition failed: the compare-and-set lost (someone changed the switch first), the switch is not
     * in a state the command may change, or the dead letter named by {@code --id} does not exist.
     */
    public static final int PRECONDITION_FAILED = 4;

    private ExitCodes() {
    }
}
