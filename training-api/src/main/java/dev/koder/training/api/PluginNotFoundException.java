package dev.koder.training.api;

/**
 * No plugin of a kind is on the class path, or none has the requested name. The message names the artifact
 * to add or lists the known names. Not retriable.
 */
public class PluginNotFoundException extends TrainingException {

    private static final long serialVersionUID = 1L;

    /** @param message one sentence naming what is missing and how to add it */
    public PluginNotFoundException(String message) {
        super(message, false);
    }
}
