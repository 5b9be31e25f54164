package dev.sluice.relay;

/**
 * A request that is answered with an HTTP error before any stream starts; the servlet turns it
 * into a JSON error body in the dialect's shape.
 */
final class Refusal extends Exception {

    private final int status;
    private final String type;

    Refusal(int status, String type, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
    }

    int status() {
        return status;
    }

    String type() {
        return type;
    }
}
