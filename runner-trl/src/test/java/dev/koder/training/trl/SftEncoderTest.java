package dev.koder.training.trl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which tokens the TRL trainer puts the loss on, checked in Python with the tiny model's real tokenizer and
 * chat template: assistant turns only, never their role header, never a turn with weight 0; for
 * prompt-completion the completion and EOS.
 */
class SftEncoderTest {

    @TempDir
    Path dir;

    @Test
    void lossFallsOnAssistantTurnsOnly_withoutTheirHeader_andNotOnWeightZeroTurns() throws Exception {
        TinyWorld w = TinyWorld.get();
        TinyWorld.Ran ran = w.python(dir, List.of(
                "import sys",
                "from transformers import AutoTokenizer",
                "from training_data import SftEncoder",
                "tok = AutoTokenizer.from_pretrained(sys.argv[1])",
                "enc = SftEncoder(tok, 'chat')",
                "msgs = [{'role': 'system', 'content': 'Be loud.'}, {'role': 'user', 'content': 'Shout: ab'},",
                "        {'role': 'assistant', 'content': 'AB', 'weight': 0}, {'role': 'user', 'content': 'Shout: cd'},",
                "        {'role': 'assistant', 'content': 'CD'}]",
                "ex = enc({'messages': msgs})",
                "full = tok.apply_chat_template([{k: v for k, v in m.items() if k != 'weight'} for m in msgs], tokenize=True)",
                "full = full['input_ids'] if hasattr(full, 'keys') else full",
                "assert ex['input_ids'] == full, 'same tokens as the template'",
                "trained = [t for t, l in zip(ex['input_ids'], ex['labels']) if l != -100]",
                "print('TRAINED', repr(tok.decode(trained)))",
                "pc = SftEncoder(tok, 'prompt-completion')({'prompt': 'Shout: ef ', 'completion': 'EF'})",
                "print('COMPLETION', repr(tok.decode([t for t, l in zip(pc['input_ids'], pc['labels']) if l != -100])))",
                "al = SftEncoder(tok, 'alpaca')({'instruction': 'Shout', 'input': 'gh', 'output': 'GH'})",
                "print('ALPACA', repr(tok.decode([t for t, l in zip(al['input_ids'], al['labels']) if l != -100])))"),
                w.model.toString());
        assertThat(ran.code()).as(ran.output()).isZero();
        assertThat(ran.output()).contains("TRAINED 'CD<|end|>'").contains("COMPLETION 'EF<|end|>'")
                .contains("ALPACA 'GH<|end|>'");
    }
}
