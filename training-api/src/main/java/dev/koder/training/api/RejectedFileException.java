package dev.koder.training.api;

/** An upload that is refused: what is wrong, and the request parameter it concerns. */
public final class RejectedFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String param;
    private final boolean tooLarge;

    /**
     * @param param the parameter at fault
     * @param message what is wrong
     * @param tooLarge whether it is refused for its size
     */
    public RejectedFileException(String param, String message, boolean tooLarge) {
        super(message);
        this.param = param;
        this.tooLarge = tooLarge;
    }

    /** @return the request parameter at fault ({@code file}, {@code filename}, {@code purpose}) */
    public String param() {
        return param;
    }

    /** @return whether it was refused for its size */
    public boolean tooLarge() {
        return tooLarge;
    }
}
