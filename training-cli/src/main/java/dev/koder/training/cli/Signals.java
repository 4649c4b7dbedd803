package dev.koder.training.cli;

import sun.misc.Signal;

/** Ctrl-C handling for commands that follow a job: the first one asks to cancel rather than killing the JVM. */
final class Signals {

    private Signals() {
    }

    @SuppressWarnings("removal")
    static void onInterrupt(Runnable action) {
        Signal.handle(new Signal("INT"), signal -> action.run());
    }
}
