package dev.sluice.testing;

import java.util.concurrent.TimeUnit;

/** Signals to a process a test started, by its own id: SIGSTOP, SIGCONT. */
final class Signals {

    private Signals() {}

    static void send(Process process, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid()))
                .redirectErrorStream(true).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            kill.destroyForcibly();
            throw new AssertionError("kill " + signal + " " + process.pid() + " failed");
        }
    }
}
