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
    ALPACA("alpaca"),
    /** {@code {"anchor":"...","positive":"...","negatives":["...",...]}}, negatives optional: embedding data */
    PAIRS("pairs"),
    /** {@code {"query":"...","document":"...","label":0.8}}, a label in 0..1: reranker data */
    SCORED_PAIRS("scored-pairs"),
    /** {@code {"query":"...","documents":["...",...],"labels":[1,0,...]}}: reranker data, one query's candidates */
    GROUPS("groups");

    private final String wireName;

    DatasetFormat(String wireName) {
        this.wireName = wireName;
    }

    /** @return true for the formats of the encoder objectives (pairs, scored-pairs, groups) */
    public boolean encoder() {
        return this == PAIRS || this == SCORED_PAIRS || this == GROUPS;
    }

    /** @return the formats of the language-model objectives (chat, prompt-completion, preference, alpaca) */
    public static java.util.Set<DatasetFormat> languageModelFormats() {
        return java.util.Collections.unmodifiableSet(java.util.EnumSet.of(CHAT, PROMPT_COMPLETION, PREFERENCE, ALPACA));
    }

    @JsonValue
    @Override
    public String wireName() {
        return wireName;
    }
}
