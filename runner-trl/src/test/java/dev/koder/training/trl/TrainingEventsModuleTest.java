package dev.koder.training.trl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The shared Python events module (runner-python's training_events.py) with the real transformers
 * TrainerCallback base class: what each callback writes, a NaN loss, SIGTERM, and error classification.
 */
class TrainingEventsModuleTest {

    @TempDir
    Path dir;

    @Test
    void theCallback_writesTheProtocol_stopsOnNanAndOnSigterm_andClassifiesErrors() throws Exception {
        TinyWorld w = TinyWorld.get();
        Path events = dir.resolve("events.jsonl");
        TinyWorld.Ran ran = w.python(dir, List.of(
                "import json, os, signal, sys, types",
                "from training_events import *",
                "events = EventWriter(sys.argv[1])",
                "stop = StopSignal.install(events)",
                "cb = TrainingEvents(events, stop)",
                "args = types.SimpleNamespace(world_size=1, output_dir='out')",
                "state = types.SimpleNamespace(global_step=0, max_steps=10, epoch=0.0, num_input_tokens_seen=0)",
                "control = types.SimpleNamespace(should_training_stop=False, should_save=False)",
                "cb.on_train_begin(args, state, control)",
                "state.global_step = 1; state.num_input_tokens_seen = 64",
                "cb.on_log(args, state, control, logs={'loss': 2.5, 'learning_rate': 1e-4, 'epoch': 0.1, 'rewards/margins': 0.3})",
                "cb.on_log(args, state, control, logs={'eval_loss': 2.0, 'epoch': 0.1})",
                "cb.on_save(args, state, control)",
                "assert not control.should_training_stop",
                "state.global_step = 2",
                "cb.on_log(args, state, control, logs={'loss': float('nan')})",
                "assert control.should_training_stop and cb.nan_loss is not None",
                "control.should_training_stop = False",
                "os.kill(os.getpid(), signal.SIGTERM)",
                "cb.on_step_end(args, state, control)",
                "assert control.should_save and control.should_training_stop",
                "assert classify(ImportError('x')) == 'dependency'",
                "assert classify(DatasetError('x')) == 'dataset'",
                "assert classify(RuntimeError('CUDA out of memory. Tried to allocate')) == 'out_of_memory'",
                "assert classify(RuntimeError('CUDA error: device-side assert')) == 'cuda'",
                "print('TABLE', json.dumps({'kinds': sorted(KINDS), 'exit_codes': EXIT_CODES}, sort_keys=True))",
                "run_main(events, lambda: (_ for _ in ()).throw(ConfigError('bad setting')))"), events.toString());
        assertThat(ran.code()).as(ran.output()).isEqualTo(1);
        List<String> lines = Files.readAllLines(events).stream().map(l -> l.replace(" ", "")).toList();
        assertThat(lines).hasSize(6).allSatisfy(l -> assertThat(l).contains("\"v\":1").contains("\"time\":"));
        assertThat(lines.get(0)).contains("\"type\":\"started\"").contains("\"total_steps\":10");
        assertThat(lines.get(1)).contains("\"type\":\"progress\"").contains("\"loss\":2.5").contains("\"tokens\":64")
                .contains("\"rewards_margins\":0.3");
        assertThat(lines.get(2)).contains("\"type\":\"eval\"").contains("\"metrics\":{\"eval_loss\":2.0");
        assertThat(lines.get(3)).contains("\"type\":\"checkpoint\"").contains("\"path\":\"out/checkpoint-1\"");
        assertThat(lines.get(4)).contains("\"type\":\"error\"").contains("\"kind\":\"nan_loss\"");
        assertThat(lines.get(5)).contains("\"type\":\"error\"").contains("\"kind\":\"config\"")
                .contains("ConfigError:badsetting");
        assertThat(ran.output()).contains("stop requested (signal 15)").contains("Traceback");
        // the kinds and exit codes the module uses are those of the one cause table the service reads
        JsonNode table;
        try (var in = dev.koder.training.api.FailureCause.class.getResourceAsStream("failure-causes.json")) {
            table = new ObjectMapper().readTree(in);
        }
        List<String> kinds = new java.util.ArrayList<>();
        for (String k : table.get("trainer_kinds").propertyNames()) {
            kinds.add(k);
        }
        java.util.Collections.sort(kinds);
        String said = ran.output().lines().filter(l -> l.startsWith("TABLE ")).findFirst().orElseThrow();
        JsonNode fromPython = new ObjectMapper().readTree(said.substring("TABLE ".length()));
        List<String> pythonKinds = new java.util.ArrayList<>();
        fromPython.get("kinds").forEach(k -> pythonKinds.add(k.asString()));
        assertThat(pythonKinds).isEqualTo(kinds);
        assertThat(fromPython.get("exit_codes")).isEqualTo(table.get("exit_codes"));
        assertThat(ran.code()).isEqualTo(table.at("/exit_codes/error").asInt());
    }

    @Test
    void severalProcesses_getACollectiveTimeout_fsdpArguments_andFsdpIsRefusedWhereAccelerateWouldNotShard()
            throws Exception {
        TinyWorld w = TinyWorld.get();
        TinyWorld.Ran ran = w.python(dir, List.of(
                "import json, os, types",
                "os.environ['WORLD_SIZE'] = '2'",
                "from training_data import trainer_arguments, check_strategy",
                "from training_events import ConfigError, EventWriter",
                "spec = {'hyperparameters': {'micro_batch_size': 4, 'gradient_accumulation_steps': 2, 'max_steps': 10,",
                "        'epochs': 1, 'learning_rate': 1e-4, 'scheduler': 'cosine', 'weight_decay': 0.0,",
                "        'max_grad_norm': 1.0, 'seed': 1, 'gradient_checkpointing': True, 'max_seq_length': 64,",
                "        'warmup_ratio': 0.0, 'precision': 'auto'}, 'resources': {'gpus': 2},",
                "        'checkpoints': {'keep_last': 2}}",
                "args = {'output_dir': 'out', 'device': 'cpu', 'strategy': 'fsdp', 'collective_timeout_seconds': 600}",
                "a = trainer_arguments(args, spec, [{}] * 32, None, 5)",
                "print('FSDP', json.dumps({k: a.get(k) for k in ('fsdp', 'fsdp_config', 'ddp_timeout',",
                "      'gradient_checkpointing', 'gradient_checkpointing_kwargs', 'ddp_find_unused_parameters')}))",
                "args['strategy'] = 'ddp'",
                "d = trainer_arguments(args, spec, [{}] * 32, None, 5)",
                "print('DDP', json.dumps({k: d.get(k) for k in ('fsdp', 'ddp_timeout', 'ddp_find_unused_parameters',",
                "      'gradient_checkpointing')}))",
                "try:",
                "    check_strategy(types.SimpleNamespace(is_fsdp_enabled=False), dict(args, strategy='fsdp'))",
                "except ConfigError as e:",
                "    print('REFUSED', e)",
                "os.environ['RANK'] = '1'",
                "EventWriter('events-rank1.jsonl').emit('started', step=0)",
                "print('RANK1 WROTE', os.path.exists('events-rank1.jsonl'))"));
        assertThat(ran.code()).as(ran.output()).isZero();
        assertThat(ran.output()).contains("FSDP {\"fsdp\": true, \"fsdp_config\": {\"version\": 2, "
                + "\"auto_wrap_policy\": \"TRANSFORMER_BASED_WRAP\", \"reshard_after_forward\": true, "
                + "\"state_dict_type\": \"FULL_STATE_DICT\", \"cpu_ram_efficient_loading\": false, "
                + "\"activation_checkpointing\": true}, \"ddp_timeout\": 600, \"gradient_checkpointing\": false, "
                + "\"gradient_checkpointing_kwargs\": null, \"ddp_find_unused_parameters\": null}");
        assertThat(ran.output()).contains("DDP {\"fsdp\": null, \"ddp_timeout\": 600, "
                + "\"ddp_find_unused_parameters\": false, \"gradient_checkpointing\": true}");
        assertThat(ran.output()).contains("REFUSED strategy fsdp needs GPUs: accelerate shards models with FSDP on "
                + "CUDA devices only, and this job runs on cpu; use strategy ddp");
        assertThat(ran.output()).contains("RANK1 WROTE False");
    }
}
