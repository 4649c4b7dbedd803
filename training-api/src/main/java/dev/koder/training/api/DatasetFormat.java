package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** Layout of the examples in a JSONL dataset, one JSON object per line. See docs/DATASETS.md. */
public enum DatasetFormat implements WireName {
    /** {@code {"messages":[{"role":"user","content":"..."},{"role":"assistant","content":"..."}]}} */
    CHAT("chat"),
    /** {@code {"prompt":"...","completion":"..."}} */
    PROMPT_COMPLETION("prompt-completion"),
    /**
     * {@code {"input":{"messages":[...]},"preferred_output":[...],"non_preferred_output":[...]}} or {@code
     * {"prompt":"...","chosen":"...","rejected":"..."}}
     */
    PREFERENCE("preference"),
    /** {@code {"instruction":"...","input":"...","output":"..."}} */
    ALPACA("alpaca");

    private final String wireName;

    DatasetFormat(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    @Override
    public String wireName() {
        return wireName;
    }
}
