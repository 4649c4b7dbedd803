package dev.koder.training.axolotl;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.LoraConfig;
import dev.koder.training.api.Objective;
import dev.koder.training.api.Precision;
import dev.koder.training.api.Strategy;
import dev.koder.training.python.DistributedLaunch;
import dev.koder.training.api.QuantizationConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A JobSpec as an axolotl 0.18 config: the keys and values axolotl reads, in the order people write them. Built
 * as a map (written as YAML by {@link AxolotlJob}, never by pasting strings) and checked by
 * {@link AxolotlSchema} before anything is written.
 *
 * <p>Facts from a real axolotl 0.18.0 run on a CPU (tiny Llama, LoRA SFT and DPO both trained) are built in:
 * on a CPU the four {@code lora_*_kernel} keys are false (axolotl turns its Triton LoRA kernels on for
 * {@code adapter: lora} and they assert CUDA), attention is {@code eager} and bf16, fp16 and tf32 are off.
 */
final class AxolotlConfig {

    /** The plugin that reports through the SDK's events protocol (module training_axolotl, shipped here). */
    static final String EVENTS_PLUGIN = "training_axolotl.TrainingEventsPlugin";

    /** Where the job's files are, as the config names them (absolute in a job, relative in an export). */
    record Layout(List<Map<String, Object>> datasets, List<Map<String, Object>> testDatasets, String outputDir,
            String preparedDir, String resumeFrom) {
    }

    /** What the config depends on of the machine. */
    record Device(boolean cuda, boolean bf16) {
        static final Device CPU = new Device(false, false);
    }

    private AxolotlConfig() {
    }

    static Map<String, Object> of(JobSpec spec, Layout layout, Device device) {
        Hyperparameters hp = spec.hyperparameters();
        AdapterType adapter = spec.method().adapter();
        boolean dpo = spec.method().objective() == Objective.DPO;
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("base_model", spec.baseModel());
        c.put("tokenizer_type", "AutoTokenizer");
        if (adapter == AdapterType.QLORA) {
            QuantizationConfig q = spec.method().quantization();
            c.put("load_in_8bit", false);
            c.put("load_in_4bit", true);
            Map<String, Object> bnb = new LinkedHashMap<>();
            bnb.put("bnb_4bit_quant_type", q.type().wireName());
            bnb.put("bnb_4bit_use_double_quant", q.doubleQuant());
            bnb.put("bnb_4bit_compute_dtype", dtype(q.computeDtype().wireName()));
            c.put("bnb_config_kwargs", bnb);
        }
        c.put("chat_template", "tokenizer_default");
        if (dpo) {
            c.put("rl", "dpo");
            c.put("rl_beta", spec.method().dpo().beta());
            c.put("dpo_loss_type", List.of(spec.method().dpo().lossType().wireName()));
        }
        c.put("datasets", layout.datasets());
        if (!layout.testDatasets().isEmpty()) {
            c.put("test_datasets", layout.testDatasets());
        }
        c.put("val_set_size", 0.0);
        c.put("dataset_prepared_path", layout.preparedDir());
        c.put("output_dir", layout.outputDir());
        c.put("sequence_len", hp.maxSeqLength());
        c.put("sample_packing", !dpo && hp.packing());
        if (adapter != AdapterType.FULL) {
            LoraConfig lora = spec.method().lora();
            c.put("adapter", adapter == AdapterType.QLORA ? "qlora" : "lora");
            c.put("lora_r", lora.rank());
            c.put("lora_alpha", lora.alpha());
            c.put("lora_dropout", lora.dropout());
            if (lora.targetModules().equals(List.of("all-linear"))) {
                c.put("lora_target_linear", true);
            } else {
                c.put("lora_target_modules", lora.targetModules());
            }
            if (!device.cuda()) {
                for (String kernel : List.of("lora_mlp_kernel", "lora_qkv_kernel", "lora_o_kernel",
                        "lora_embedding_kernel")) {
                    c.put(kernel, false);
                }
            }
        }
        c.put("gradient_accumulation_steps", hp.gradientAccumulationSteps());
        c.put("micro_batch_size", hp.microBatchSize());
        if (hp.maxSteps() != null) {
            c.put("max_steps", hp.maxSteps());
        } else {
            c.put("num_epochs", hp.epochs());
        }
        c.put("optimizer", device.cuda() ? "adamw_torch_fused" : "adamw_torch");
        c.put("lr_scheduler", hp.scheduler().wireName());
        c.put("learning_rate", hp.learningRate());
        c.put("weight_decay", hp.weightDecay());
        c.put("max_grad_norm", hp.maxGradNorm());
        if (hp.warmupSteps() != null) {
            c.put("warmup_steps", hp.warmupSteps());
        } else {
            c.put("warmup_ratio", hp.warmupRatio());
        }
        c.put("seed", hp.seed());
        precision(c, hp.precision(), device);
        c.put("attn_implementation", device.cuda() ? "sdpa" : "eager");
        c.put("gradient_checkpointing", hp.gradientCheckpointing());
        if (hp.gradientCheckpointing()) {
            c.put("gradient_checkpointing_kwargs", Map.of("use_reentrant", false));
        }
        distributed(c, spec);
        c.put("train_on_inputs", false);
        c.put("logging_steps", 1);
        CheckpointPolicy ckpt = spec.checkpoints();
        if (ckpt.everySteps() != null) {
            c.put("save_steps", ckpt.everySteps());
            if (!layout.testDatasets().isEmpty()) {
                c.put("eval_steps", ckpt.everySteps());
            }
        } else {
            c.put("saves_per_epoch", 1);
            if (!layout.testDatasets().isEmpty()) {
                c.put("evals_per_epoch", 1);
            }
        }
        // no save_total_limit: the trainer does not rotate; the registry drops checkpoints beyond keep_last once
        // they are registered
        // no dataloader worker process: one would die of the SIGTERM of a cancel before the trainer saves
        c.put("dataloader_num_workers", 0);
        c.put("save_safetensors", true);
        if (layout.resumeFrom() != null) {
            c.put("resume_from_checkpoint", layout.resumeFrom());
        }
        c.put("plugins", new ArrayList<>(List.of(EVENTS_PLUGIN)));
        return c;
    }

    /**
     * A job of several GPUs: axolotl's trainer gets the same collective timeout as the SDK's other trainers, and FSDP2
     * (every decoder layer a shard unit, the full state dict gathered for saving, activation checkpointing by FSDP in
     * place of the trainer's) when the strategy is fsdp.
     */
    private static void distributed(Map<String, Object> c, JobSpec spec) {
        if (spec.resources().gpus() <= 1) {
            return;
        }
        c.put("ddp_timeout", DistributedLaunch.COLLECTIVE_TIMEOUT_SECONDS);
        if (spec.resources().strategy() != Strategy.FSDP) {
            c.put("ddp_find_unused_parameters", false);
            return;
        }
        boolean checkpointing = spec.hyperparameters().gradientCheckpointing();
        Map<String, Object> fsdp = new LinkedHashMap<>();
        fsdp.put("auto_wrap_policy", "TRANSFORMER_BASED_WRAP");
        fsdp.put("reshard_after_forward", true);
        fsdp.put("state_dict_type", "FULL_STATE_DICT");
        fsdp.put("cpu_ram_efficient_loading", false);
        fsdp.put("activation_checkpointing", checkpointing);
        c.put("fsdp_version", 2);
        c.put("fsdp_config", fsdp);
        if (checkpointing) {
            c.put("gradient_checkpointing", false);
            c.remove("gradient_checkpointing_kwargs");
        }
    }

    private static void precision(Map<String, Object> c, Precision precision, Device device) {
        if (!device.cuda()) {
            c.put("bf16", false);
            c.put("fp16", false);
            c.put("tf32", false);
            return;
        }
        switch (precision) {
            case BF16 -> c.put("bf16", true);
            case FP16 -> {
                c.put("bf16", false);
                c.put("fp16", true);
            }
            case FP32 -> {
                c.put("bf16", false);
                c.put("fp16", false);
            }
            default -> c.put("bf16", device.bf16() ? "auto" : false);
        }
        c.put("tf32", false);
    }

    private static String dtype(String wire) {
        return switch (wire.toLowerCase(Locale.ROOT)) {
            case "bf16" -> "bfloat16";
            case "fp16" -> "float16";
            default -> "float32";
        };
    }
}
