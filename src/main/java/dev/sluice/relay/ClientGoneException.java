package dev.sluice.relay;

import java.io.IOException;

/** A write to the client failed: it went away. Expected, and not an error of ours or upstream's. */
final class ClientGoneException extends IOException {

    ClientGoneException(IOException cause) {
        super("client went away", cause);
    }
}
