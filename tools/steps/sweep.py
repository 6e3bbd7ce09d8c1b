#!/usr/bin/env python3
"""Writes the scaling-study pipelines benchmarks/steps/pipelines/<method>-<n>.yaml for n = 1, 2, 4, 8, 16, 32: the four
shipped pipelines (pipelines/steps-*.yaml) with n samples, particles or beams x expansions. Run from the repository
root: python3 tools/steps/sweep.py (plain Python, no packages)."""
import os

N = [1, 2, 4, 8, 16, 32]
OUT = "benchmarks/steps/pipelines"
MODEL = "models:\n  steps: { provider: onnx, path: ../../../models/steps, max_batch: 256 }\ndefaults: { model: steps, temperature: 1.0, max_tokens: 64 }\n"
STEP = 'step: "{{ question }}"'
PROCESS = 'process_reward: "Check last step:\\n{{ question }}\\n{{ steps | array.join \\"\\\\n\\" }}"'
OUTCOME = 'outcome_reward: "Check answer:\\n{{ question }}\\n{{ answer | string.strip }}"'
SEARCH = '      max_steps: 7\n      delimiter: "\\n"\n      stop_pattern: "^answer:"\n      max_tokens: 12\n'


def vote(n):
    # n = 1 is one sample: nothing to vote over
    return f"layers:\n  - generate: {{ samples: {n} }}\noutput: {'vote' if n > 1 else 'first'}\n"


def best_of_n(n):
    if n == 1:
        return vote(1)  # best of one is the one sample: no judgement to make
    return (f"layers:\n  - generate: {{ samples: {n} }}\n  - best_of_n:\n      reward: {{ model: steps, judge: yes_no }}\n"
            f"      prompts: {{ {OUTCOME} }}\noutput: first\n")


def beam(n):
    expansions = min(n, 4)
    return (f"layers:\n  - beam_search:\n      model: steps\n      reward: {{ model: steps, judge: yes_no, aggregate: min }}\n"
            f"      width: {n // expansions}\n      expansions: {expansions}\n{SEARCH}      prompts: {{ {STEP}, {PROCESS} }}\noutput: best_score\n")


def particles(n, entropic=False):
    return (f"layers:\n  - particle_filter:\n      model: steps\n      reward: {{ model: steps, judge: yes_no, aggregate: last }}\n"
            f"      particles: {n}\n{'      entropic: true' + chr(10) if entropic else ''}{SEARCH}      prompts: {{ {STEP}, {PROCESS} }}\n")


METHODS = {
    "vote": ("majority vote over n samples at temperature 1", vote),
    "best-of-n": ("n samples, the one the outcome verifier likes best", best_of_n),
    "beam": ("beam search, width x expansions = n, process reward (min over steps)", beam),
    "particles": ("particle filtering with n particles, process reward of the last step", particles),
    "particles-entropic": ("entropic particle filtering with n particles", lambda n: particles(n, True)),
}

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for method, (what, body) in METHODS.items():
        for n in N:
            with open(os.path.join(OUT, f"{method}-{n}.yaml"), "w") as f:
                f.write(f"# Written by tools/steps/sweep.py: {what}; n = {n}.\ncompose: 1\nname: steps-{method}-{n}\n{MODEL}{body(n)}")
    print(f"wrote {len(METHODS) * len(N)} pipelines under {OUT}")
