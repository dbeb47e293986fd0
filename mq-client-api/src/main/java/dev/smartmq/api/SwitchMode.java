package dev.smartmq.api;

/** Who drives the switch. */
public enum SwitchMode {
    /** The failure detector and the prober move the switch. */
    AUTO,
    /** An operator set the state (a drill); automation never reverts it before {@code expiresAt}. */
    MANUAL
}
