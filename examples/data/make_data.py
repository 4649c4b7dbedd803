"""Writes the bundled "shout" task: answer with the given word in capital letters.

A task a tiny model learns in a minute on a CPU, and one that shows whether it learned the rule rather than
the examples: the held-out words (shout-test*.jsonl) never appear in training, but every letter does.

    python3 make_data.py    # rewrites the .jsonl files beside this script (deterministic)
"""
import json
import random
from pathlib import Path

WORDS = """
able acid aged also area army away baby back ball band bank base bath bear beat been beer bell belt best
bill bird blow blue boat body bomb bond bone book boom born boss both bowl bulk burn bush busy cake call
calm came camp card care case cash cast cell chat chip city club coal coat code cold come cook cool cope
copy core cost crew crop dark data date dawn days dead deal dean dear debt deep deny desk dial diet disc
disk does done door dose down draw drew drop drug dual duke dust duty each earn ease east easy edge else
even ever evil exit face fact fail fair fall farm fast fate fear feed feel feet fell felt file fill film
find fine fire firm fish five flat flow food foot ford form fort four free from fuel full fund gain game
gate gave gear gene gift girl give glad goal goes gold golf gone good gray grew grey grow gulf hair half
hall hand hang hard harm hate have head hear heat held hell help here hero high hill hire hold hole holy
home hope host hour huge hung hunt hurt idea inch into iron item jack jane jean john join jump jury just
keen keep kent kept kick kill kind king knee knew know lack lady laid lake land lane last late lead left
less life lift like line link list live load loan lock logo long look lord lose loss lost love luck made
mail main make male many mark mass matt meal mean meat meet menu mere mike mile milk mill mind mine miss
mode mood moon more most move much must name navy near neck need news next nice nick nine none nose note
okay once only open oral over pace pack page paid pain pair palm park part pass past path peak pick pink
pipe plan play plot plug plus poll pool poor port post pull pure push quiz race rail rain rank rare rate
read real rear rely rent rest rice rich ride ring rise risk road rock role roll roof room root rose rule
rush safe said sake sale salt same sand save seat seed seek seem seen self sell send sent ship shop shot
show shut sick side sign site size skin slip slow snow soft soil sold sole some song soon sort soul spot
star stay step stop such suit sure take tale talk tall tank tape task team tech tell tend term test text
than that them then they thin this thus till time tiny told tone tony took tool tour town tree trip true
tune turn twin type unit upon used user vary vast very vice view vote wage wait wake walk wall want ward
warm wash wave ways weak wear week well went were west what when whom wide wife wild will wind wine wing
wire wise wish with wood word wore work yard yeah year your zero zone jazz quiz oxen yolk
""".split()

HERE = Path(__file__).parent


def chat(word):
    return {"messages": [{"role": "user", "content": "Shout: " + word},
                         {"role": "assistant", "content": word.upper()}]}


def preference(word, rng):
    wrong = rng.choice([word, word.capitalize(), word[:-1].upper() + word[-1]])
    return {"input": {"messages": [{"role": "user", "content": "Shout: " + word}]},
            "preferred_output": [{"role": "assistant", "content": word.upper()}],
            "non_preferred_output": [{"role": "assistant", "content": wrong}]}


def write(name, rows):
    with open(HERE / name, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")


def main():
    rng = random.Random(7)
    words = sorted(set(WORDS))
    rng.shuffle(words)
    test, train = words[:40], words[40:]
    write("shout-train.jsonl", [chat(w) for w in train])
    write("shout-test.jsonl", [chat(w) for w in test])
    write("shout-prefs.jsonl", [preference(w, rng) for w in train])
    write("shout-test-prefs.jsonl", [preference(w, rng) for w in test])


if __name__ == "__main__":
    main()
