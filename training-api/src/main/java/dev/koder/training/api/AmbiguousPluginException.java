package dev.koder.training.api;

/**
 * Several plugins of one kind are equally good candidates and nothing says which to use. The message lists
 * them and names the property that picks one. Not retriable.
 */
public class AmbiguousPluginException extends TrainingException {

    private static final long serialVersionUID = 1L;

    /** @param message lists the candidates and names the property that picks one */
    public AmbiguousPluginException(String message) {
        super(message, false);
    }
}
