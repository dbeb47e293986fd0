/**
 * Child JVMs driven from a test: {@link dev.smartmq.testkit.process.JvmProcess} launches a main class with the
 * test's classpath and breaks it on purpose (SIGKILL, SIGSTOP/SIGCONT, a graceful stop command, a restart with
 * the same command line); {@link dev.smartmq.testkit.process.ParentLink} is the child's side of the link (stop
 * commands on stdin, and exit at once when the parent is gone, so no child outlives the test JVM).
 */
package dev.smartmq.testkit.process;
