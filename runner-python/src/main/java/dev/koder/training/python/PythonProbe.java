package dev.koder.training.python;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import java.util.Optional;

/**
 * What a Python interpreter offers a trainer, as reported by the interpreter itself.
 *
 * @param python its version, for example 3.11.7
 * @param executable its path
 * @param platform operating system and machine
 * @param packages package name to installed version, null when missing
 * @param cuda whether torch sees a CUDA device
 * @param cudaDevices how many
 * @param bf16 whether the first device supports bf16
 * @param torchError why torch did not import, or null
 */
public record PythonProbe(
        @JsonProperty("python") String python,
        @JsonProperty("executable") String executable,
        @JsonProperty("platform") String platform,
        @JsonProperty("packages") Map<String, String> packages,
        @JsonProperty("cuda") boolean cuda,
        @JsonProperty("cuda_devices") int cudaDevices,
        @JsonProperty("bf16") boolean bf16,
        @JsonProperty("torch_error") String torchError) {

    /** Copies the packages so the record stays immutable; a null version means missing. */
    public PythonProbe {
        packages = packages == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.HashMap<>(packages));
    }

    /** @param dist a distribution name @return its installed version, if installed */
    public Optional<String> version(String dist) {
        return Optional.ofNullable(packages.get(dist));
    }

    /** @return true when the major.minor version is at least 3.10 */
    public boolean pythonAtLeast310() {
        String[] parts = python.split("\\.");
        int major = Integer.parseInt(parts[0]);
        int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
        return major > 3 || (major == 3 && minor >= 10);
    }
}
