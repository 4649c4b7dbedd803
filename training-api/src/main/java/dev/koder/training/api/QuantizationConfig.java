package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * 4-bit quantisation of a QLoRA base model. Unset parts take their defaults when the {@link JobSpec} is
 * built.
 *
 * @param type 4-bit data type; default nf4
 * @param doubleQuant whether the quantisation constants are quantised too; default true
 * @param computeDtype dtype of the matmuls on dequantised weights: bf16, fp16 or fp32; default bf16
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record QuantizationConfig(
        @JsonProperty("type") QuantType type,
        @JsonProperty("double_quant") Boolean doubleQuant,
        @JsonProperty("compute_dtype") Precision computeDtype) {

    /** @return nf4, double quantisation, bf16 compute */
    public static QuantizationConfig defaults() {
        return new QuantizationConfig(null, null, null).resolved();
    }

    QuantizationConfig resolved() {
        return new QuantizationConfig(type == null ? QuantType.NF4 : type,
                doubleQuant == null ? Boolean.TRUE : doubleQuant,
                computeDtype == null ? Precision.BF16 : computeDtype);
    }

    void check(Checks c, String at) {
        if (computeDtype == Precision.AUTO) {
            c.add(Checks.at(at, "compute_dtype"), "must be one of bf16, fp16, fp32, got \"auto\"");
        }
    }
}
