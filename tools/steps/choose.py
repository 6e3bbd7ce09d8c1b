#!/usr/bin/python3
"""Picks the shipped step-model checkpoint from train.py's validation evals (never the test set) and writes the greedy
probe answers that ArithTool export compares against the ONNX graph.

Rule: among checkpoints whose single sample gets a chain right less than 45% of the time (the model is meant to slip
in individual steps), whose vote of 16 recovers the answer on at least 80% and whose process verifier is better
than chance and not perfect on the balanced step checks (60% to 97%), the latest (ties do not arise).

Usage: /usr/bin/python3 tools/steps/choose.py tools/steps/out [--step N]
"""
import importlib.util
import json
import os
import shutil
import sys

import torch

_spec = importlib.util.spec_from_file_location("steps_train", os.path.join(os.path.dirname(os.path.abspath(__file__)), "train.py"))
train = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(train)


# tools/arith/choose.py's loader reads both models' checkpoints (one architecture, one format)
_arith = importlib.util.spec_from_file_location("arith_choose", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "arith", "choose.py"))
arith_choose = importlib.util.module_from_spec(_arith)
_arith.loader.exec_module(arith_choose)
load_checkpoint = arith_choose.load


def main():
    out = sys.argv[1]
    evals = [json.loads(l[5:]) for l in open(os.path.join(out, "train.log")) if l.startswith("eval ")]
    for e in evals:
        print(f"step {e['step']:5d} single {e['single']:.3f} vote16 {e['vote16']:.3f} cover16 {e['cover16']:.3f} greedy {e['greedy']:.3f} "
              f"verify_step {e['verify_step']:.3f} verify_answer {e['verify_answer']:.3f} first_wrong_step {e['first_wrong_step']}")
    if "--step" in sys.argv:
        step = int(sys.argv[sys.argv.index("--step") + 1])
    else:
        ok = [e for e in evals if e["single"] < 0.45 and e["vote16"] >= 0.8 and 0.6 <= e["verify_step"] <= 0.97]
        if not ok:
            print("no checkpoint meets the rule")
            return 1
        step = max(ok, key=lambda e: e["step"])["step"]
    src = os.path.join(out, f"step{step:05d}")
    dst = os.path.join(out, "chosen")
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    model = load_checkpoint(dst)
    valid = [json.loads(l) for l in open(os.path.join(out, "valid.jsonl"))][:30]
    solve = [v["prompt"] for v in valid]
    greedy = train.complete(model, solve, 1, 0, torch.Generator().manual_seed(0), 96, torch.device("cpu"))
    checks = [train.check_step_prompt(q, greedy[q][0].split("\n")[:2]) for q in solve[:10]]
    checks += [train.check_answer_prompt(q, greedy[q][0].split("\n")) for q in solve[10:20]]
    verdicts = train.complete(model, checks, 1, 0, torch.Generator().manual_seed(0), 4, torch.device("cpu"))
    with open(os.path.join(dst, "probe.jsonl"), "w") as f:
        for q in solve:
            f.write(json.dumps(dict(question=q, greedy=greedy[q][0], max_tokens=96)) + "\n")
        for q in checks:
            f.write(json.dumps(dict(question=q, greedy=verdicts[q][0], max_tokens=4)) + "\n")
    json.dump(dict(step=step, evals=[e for e in evals if e["step"] == step]), open(os.path.join(dst, "chosen.json"), "w"), indent=1)
    print(f"chose step {step} -> {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
