#!/usr/bin/python3
"""Picks the shipped checkpoint from train.py's validation evals (never the test set) and writes greedy
probe answers that ArithTool export compares against the ONNX graph.

Rule: among checkpoints with single-sample accuracy in [0.40, 0.65], coverage@16 >= 0.93 and a
verifier right on at least 60% of balanced claims on the validation set, the one with the largest vote@16 - single gain (ties: the later step). The bounds sit
inside the issue's targets (35-70%, > 90%) to leave room for the validation/test difference.

Usage: /usr/bin/python3 tools/arith/choose.py tools/arith/out [--step N]
"""
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import train  # noqa: E402


def load(folder):
    manifest = json.load(open(os.path.join(folder, "manifest.json")))
    c = manifest["config"]
    model = train.Decoder(c["hidden"], c["layers"], c["heads"], c["mlp"], c["context"])
    raw = open(os.path.join(folder, "weights.bin"), "rb").read()
    state = {}
    for t in manifest["tensors"]:
        n = 1
        for d in t["shape"]:
            n *= d
        state[t["name"]] = torch.frombuffer(bytearray(raw[t["offset"]:t["offset"] + 4 * n]), dtype=torch.float32).view(*t["shape"])
    model.load_state_dict(state)
    return model


def main():
    out = sys.argv[1]
    evals = [json.loads(l[5:]) for l in open(os.path.join(out, "train.log")) if l.startswith("eval ")]
    for e in evals:
        print(f"step {e['step']:5d} single {e['single']:.3f} vote16 {e['vote16']:.3f} cover16 {e['cover16']:.3f} greedy {e['greedy']:.3f} verify {e['verify']:.3f}")
    if "--step" in sys.argv:
        step = int(sys.argv[sys.argv.index("--step") + 1])
    else:
        ok = [e for e in evals if 0.40 <= e["single"] <= 0.65 and e["cover16"] >= 0.93 and e["verify"] >= 0.6]
        if not ok:
            print("no checkpoint meets the rule yet")
            return 1
        step = max(ok, key=lambda e: (round(e["vote16"] - e["single"], 3), e["step"]))["step"]
    src = os.path.join(out, f"step{step:05d}")
    dst = os.path.join(out, "chosen")
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    model = load(dst)
    valid = [json.loads(l) for l in open(os.path.join(out, "valid.jsonl"))][:40]
    questions = [v["prompt"] for v in valid] + [train.verify_question(v["metadata"]["expression"], v["reference"]) for v in valid[:10]]
    greedy = train.sample_answers(model, questions, 1, 0, torch.Generator().manual_seed(0))
    with open(os.path.join(dst, "probe.jsonl"), "w") as f:
        for q in questions:
            f.write(json.dumps(dict(question=q, greedy=greedy[q][0])) + "\n")
    json.dump(dict(step=step, evals=[e for e in evals if e["step"] == step]), open(os.path.join(dst, "chosen.json"), "w"), indent=1)
    print(f"chose step {step} -> {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
