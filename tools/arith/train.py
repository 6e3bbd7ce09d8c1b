#!/usr/bin/python3
"""Trains Compose's offline default model: a small character-level transformer decoder that does
multi-digit arithmetic written as a ChatML chat exchange, and answers "Is X=Y correct?" with yes/no.

Everything comes from a fixed seed: the held-out test set (benchmarks/arith/test.jsonl), a separate
validation set (used only to pick the checkpoint), and the training stream, which never contains an
expression of the test or validation sets (checked before training starts).

Usage (Debian's python3-torch 1.13 with OpenBLAS: `apt-get install -y python3-torch python3-numpy
libopenblas0-pthread`; run /usr/bin/python3, not the pyenv python). The shipped model took two stages,
clean labels and then per-digit label noise with verification training (exact commands and timings in
models/arith/README.md):
    /usr/bin/python3 tools/arith/train.py --out tools/arith/out-c --steps 7000 --label-noise 0 --verify-share 0.25 ...
    /usr/bin/python3 tools/arith/train.py --out tools/arith/out-f --label-noise 0.3 --verify-share 0.6 --claim-loss \
        --resume tools/arith/out-c/step03000 --first-step 3000 ...
then build the ONNX Runtime GenAI folder from the chosen checkpoint with
    /usr/bin/python3 tools/arith/choose.py tools/arith/out-f [--step N]
    dotnet run -c Release --project tools/arith/ArithTool -- export tools/arith/out-f/chosen models/arith

The model matches the graph ArithTool writes op for op: token + learned position embeddings,
pre-LayerNorm attention (no biases) and ReLU MLP blocks, final LayerNorm, untied lm_head.
Tokens are bytes (ids 0-255) plus <|endoftext|>=256, <|im_start|>=257, <|im_end|>=258.
"""
import argparse
import json
import math
import os
import random
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

END_OF_TEXT, IM_START, IM_END = 256, 257, 258
VOCAB = 259


# ----------------------------------------------------------------------------- data

def make_problem(rng):
    """One arithmetic expression and its value; the mix sets how hard the task is. Every form is one the
    model can learn from examples: sums and differences of one- and two-digit numbers, a three-digit
    number plus a one- or two-digit one ("What is 47+385?"), and a one-digit product plus a one-digit
    addend ("3*7+9"), whose product is a fact seen in training with other addends."""
    kind = rng.random()

    def num(max_digits, low=0):
        digits = rng.randint(1, max_digits)
        return rng.randint(max(low, 0 if digits == 1 else 10 ** (digits - 1)), 10 ** digits - 1)

    if kind < 0.35:
        a, b = num(2), num(2)
        return f"{a}+{b}", a + b
    if kind < 0.6:
        a, b = num(2), num(2)
        a, b = max(a, b), min(a, b)
        return f"{a}-{b}", a - b
    if kind < 0.85:
        a, b = rng.randint(100, 999), num(2)
        if rng.random() < 0.5:
            a, b = b, a
        return f"{a}+{b}", a + b
    a, b, c = rng.randint(2, 9), rng.randint(2, 9), rng.randint(1, 9)
    if rng.random() < 0.5:
        return f"{a}*{b}+{c}", a * b + c
    return f"{c}+{a}*{b}", c + a * b


def near_miss(rng, value):
    """A wrong value close to the right one, as a careless solver would write it."""
    while True:
        r = rng.random()
        if r < 0.25:
            wrong = value + rng.choice([-1, 1])
        elif r < 0.45:
            wrong = value + rng.choice([-10, 10])
        elif r < 0.85:
            s = list(str(value))
            i = rng.randrange(len(s))
            s[i] = str(rng.randint(1 if i == 0 and len(s) > 1 else 0, 9))
            wrong = int("".join(s))
        else:
            wrong = value + rng.randint(-30, 30)
        if wrong != value and wrong >= 0:
            return wrong


def ask(expr):
    return f"What is {expr}?"


def verify_question(expr, claimed):
    return f"Is {expr}={claimed} correct?"


def held_out(seed, count, exclude):
    rng = random.Random(seed)
    items, seen = [], set(exclude)
    while len(items) < count:
        expr, value = make_problem(rng)
        if expr in seen:
            continue
        seen.add(expr)
        items.append((expr, value))
    return items


def noisy(rng, value, noise):
    """The answer as a fallible solver writes it: each digit is replaced, with probability `noise`, by
    another digit drawn uniformly (never a leading zero). Trained on these targets, the model's best
    prediction keeps the right digit as the most likely one at every position but spreads the rest of
    its probability over the others, so independent samples err in different places: the deliberate,
    vote-recoverable imperfection the default model is for."""
    digits = list(str(value))
    for i, d in enumerate(digits):
        if rng.random() < noise:
            low = 1 if i == 0 and len(digits) > 1 else 0
            digits[i] = rng.choice([c for c in "0123456789"[low:] if c != d])
    return "".join(digits)


def training_example(rng, excluded, noise=0.0, verify_share=0.3):
    """(question, answer) from the training stream; `verify_share` of them are verification prompts
    (half right, half near-miss claims, labels always true); answers carry `noise` per-digit noise."""
    while True:
        expr, value = make_problem(rng)
        if expr not in excluded:
            break
    if rng.random() < verify_share:
        right = rng.random() < 0.5
        claimed = value if right else near_miss(rng, value)
        return verify_question(expr, claimed), "yes" if right else "no"
    return ask(expr), noisy(rng, value, noise) if noise > 0 else str(value)


ASSISTANT_TAIL = [IM_END] + list(b"\n") + [IM_START] + list(b"assistant\n")


def prompt_ids(question):
    """Exactly what Compose's ChatML format renders for one user message, tokenized byte by byte."""
    return [IM_START] + list(b"user\n") + list(question.encode()) + [IM_END] + list(b"\n") + [IM_START] + list(b"assistant\n")


def encode(question, answer):
    p = prompt_ids(question)
    return p, p + list(answer.encode()) + [IM_END]


def claim_span(question, answer):
    """For a verification prompt whose claim is right, the positions (in the full sequence) of the claim's
    digits and the space after them; else empty. Supervising them teaches the model to work the value out
    where it reads the claim, the computation its yes/no has to compare against."""
    if answer != "yes" or not question.startswith("Is "):
        return range(0)
    start = len(prompt_ids("")) - len(ASSISTANT_TAIL) + question.index("=") + 1
    return range(start, start + len(question) - question.index("=") - 1 - len("correct?"))


def batch(rng, size, excluded, noise=0.0, verify_share=0.3, claim_loss=False):
    examples = [training_example(rng, excluded, noise, verify_share) for _ in range(size)]
    seqs = [encode(q, a) for q, a in examples]
    length = max(len(full) for _, full in seqs) - 1
    x = torch.full((size, length), END_OF_TEXT, dtype=torch.long)
    y = torch.full((size, length), -100, dtype=torch.long)
    for i, ((p, full), (q, a)) in enumerate(zip(seqs, examples)):
        n = len(full) - 1
        x[i, :n] = torch.tensor(full[:-1])
        target = torch.tensor(full[1:])
        keep = [k - 1 for k in claim_span(q, a)] if claim_loss else []
        claimed = target[keep].clone()
        target[: len(p) - 1] = -100  # loss only on the answer and its <|im_end|> ...
        target[keep] = claimed  # ... and, with claim_loss, on a right claim's digits
        y[i, :n] = target
    return x, y


# ----------------------------------------------------------------------------- model

class Block(nn.Module):
    def __init__(self, d, heads, mlp):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.wq = nn.Linear(d, d, bias=False)
        self.wk = nn.Linear(d, d, bias=False)
        self.wv = nn.Linear(d, d, bias=False)
        self.wo = nn.Linear(d, d, bias=False)
        self.ln2 = nn.LayerNorm(d)
        self.w1 = nn.Linear(d, mlp)
        self.w2 = nn.Linear(mlp, d)

    def forward(self, h, past=None):
        """past: this layer's (keys, values) of earlier positions; returns the new hidden state and cache."""
        b, t, d = h.shape
        x = self.ln1(h)
        split = lambda z: z.view(b, t, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.wq(x)), split(self.wk(x)), split(self.wv(x))
        if past is not None:
            k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads)
        total = k.shape[2]
        causal = torch.ones(t, total, dtype=torch.bool, device=h.device).triu(total - t + 1)
        scores = scores.masked_fill(causal, -1e9)
        ctx = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        h = h + self.wo(ctx)
        return h + self.w2(F.relu(self.w1(self.ln2(h)))), (k, v)


class Decoder(nn.Module):
    def __init__(self, d, layers, heads, mlp, context):
        super().__init__()
        self.config = dict(hidden=d, layers=layers, heads=heads, mlp=mlp, context=context, vocab=VOCAB)
        self.embed = nn.Embedding(VOCAB, d)
        self.pos = nn.Embedding(context, d)
        self.blocks = nn.ModuleList(Block(d, heads, mlp) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, VOCAB, bias=False)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, ids, past=None):
        start = 0 if past is None else past[0][0].shape[2]
        h = self.embed(ids) + self.pos(torch.arange(start, start + ids.shape[1], device=ids.device))
        cache = []
        for i, blk in enumerate(self.blocks):
            h, kv = blk(h, None if past is None else past[i])
            cache.append(kv)
        return self.lm_head(self.ln_f(h)), cache


# ----------------------------------------------------------------------------- evaluation

@torch.no_grad()
def sample_answers(model, questions, samples, temperature, gen, max_new=8):
    """Answers for each question (samples each); temperature 0 is greedy. Buckets prompts by length."""
    model.eval()
    out = {q: [] for q in questions}
    buckets = {}
    for q in questions:
        buckets.setdefault(len(prompt_ids(q)), []).append(q)
    for qs in buckets.values():
        logits, past = model(torch.tensor([prompt_ids(q) for q in qs]))  # prefill once per question
        logits = logits[:, -1, :].repeat_interleave(samples, 0)
        past = [(k.repeat_interleave(samples, 0), v.repeat_interleave(samples, 0)) for k, v in past]
        done = torch.zeros(logits.shape[0], dtype=torch.bool)
        new = []
        for _ in range(max_new):
            if temperature == 0:
                nxt = logits.argmax(-1)
            else:
                nxt = torch.multinomial((logits / temperature).softmax(-1), 1, generator=gen).squeeze(1)
            nxt = torch.where(done, torch.full_like(nxt, IM_END), nxt)
            done |= nxt == IM_END
            new.append(nxt)
            if done.all():
                break
            logits, past = model(nxt[:, None], past)
            logits = logits[:, -1, :]
        toks = torch.stack(new, 1).tolist()
        for i, row in enumerate(toks):
            text = bytes(t for t in row[: row.index(IM_END)] if t < 256) if IM_END in row else b"?"
            out[qs[i // samples]].append(text.decode("utf-8", "replace"))
    model.train()
    return out


def evaluate(model, items, gen, samples=16, temperature=0.8):
    qs = [ask(e) for e, _ in items]
    drawn = sample_answers(model, qs, samples, temperature, gen)
    greedy = sample_answers(model, qs, 1, 0, gen)
    single = cover = vote = greedy_ok = 0
    for (e, v), q in zip(items, qs):
        answers = drawn[q]
        ok = [a == str(v) for a in answers]
        single += sum(ok) / len(ok)
        cover += any(ok)
        counts = {}
        for a in answers:
            counts[a] = counts.get(a, 0) + 1
        top = max(counts.items(), key=lambda kv: (kv[1], -answers.index(kv[0])))[0]
        vote += top == str(v)
        greedy_ok += greedy[q][0] == str(v)
    n = len(items)
    # verifier: half right, half near-miss claims on the same expressions
    vrng = random.Random(7)
    claims = [(e, v if i % 2 == 0 else near_miss(vrng, v), i % 2 == 0) for i, (e, v) in enumerate(items)]
    vq = [verify_question(e, c) for e, c, _ in claims]
    verdicts = sample_answers(model, vq, 1, 0, gen)
    verify_ok = sum((verdicts[q][0] == "yes") == right for q, (_, _, right) in zip(vq, claims))
    return dict(single=single / n, vote16=vote / n, cover16=cover / n, greedy=greedy_ok / n, verify=verify_ok / n)


# ----------------------------------------------------------------------------- export

def dump(model, folder):
    """Raw little-endian float32 tensors plus a manifest, read by tools/arith/ArithTool."""
    os.makedirs(folder, exist_ok=True)
    tensors, offset = [], 0
    with open(os.path.join(folder, "weights.bin"), "wb") as f:
        for name, t in model.state_dict().items():
            data = t.detach().float().contiguous().numpy().astype("<f4").tobytes()
            f.write(data)
            tensors.append(dict(name=name, shape=list(t.shape), offset=offset))
            offset += len(data)
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(dict(config=model.config, tensors=tensors), f, indent=1)


def write_jsonl(path, items, prefix):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for i, (e, v) in enumerate(items):
            f.write(json.dumps(dict(id=f"{prefix}-{i:04d}", prompt=ask(e), reference=str(v),
                                    metadata=dict(expression=e)), separators=(",", ":")) + "\n")


def write_verify_jsonl(path, items, seed):
    """The verifier's held-out set: each test expression with a claim, right for even items and a near miss
    for odd ones; the reference is the true verdict."""
    rng = random.Random(seed)
    with open(path, "w") as f:
        for i, (e, v) in enumerate(items):
            claim = v if i % 2 == 0 else near_miss(rng, v)
            f.write(json.dumps(dict(id=f"verify-{i:04d}", prompt=verify_question(e, claim), reference="yes" if i % 2 == 0 else "no",
                                    metadata=dict(expression=e, claim=str(claim))), separators=(",", ":")) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tools/arith/out")
    ap.add_argument("--benchmark", default="benchmarks/arith/test.jsonl")
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--mlp", type=int, default=256)
    ap.add_argument("--context", type=int, default=96)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--eval-items", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--label-noise", type=float, default=0.3, help="per-digit probability that a training answer digit is replaced")
    ap.add_argument("--verify-share", type=float, default=0.3, help="share of verification prompts in the training stream")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--claim-loss", action="store_true", help="also train on the digits of right claims in verification prompts")
    ap.add_argument("--resume", help="a checkpoint folder to continue from (weights only; a fresh optimizer and schedule)")
    ap.add_argument("--first-step", type=int, default=0, help="step number of --resume, so checkpoint names continue")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    test = held_out(args.seed + 1, 500, ())
    valid = held_out(args.seed + 2, args.eval_items, [e for e, _ in test])
    excluded = {e for e, _ in test} | {e for e, _ in valid}
    write_jsonl(args.benchmark, test, "arith")
    write_verify_jsonl(os.path.join(os.path.dirname(args.benchmark), "verify.jsonl"), test, args.seed + 3)
    write_jsonl(os.path.join(args.out, "valid.jsonl"), valid, "valid")

    rng = random.Random(args.seed)
    # Disjointness check: draw a large sample of the training stream and make sure no held-out
    # expression appears in any form (question or verification claim).
    probe = random.Random(args.seed + 99)
    for _ in range(100000):
        q, _ = training_example(probe, excluded)
        expr = q[len("What is "):-1] if q.startswith("What is ") else q[len("Is "):q.rindex("=")]
        assert expr not in excluded, expr

    model = Decoder(args.hidden, args.layers, args.heads, args.mlp, args.context)
    if args.resume:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from choose import load
        model.load_state_dict(load(args.resume).state_dict())
        rng = random.Random(args.seed + args.first_step)  # a fresh part of the training stream
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.98))
    warmup = args.warmup
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1, (s + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(s, args.steps) / args.steps))))
    gen = torch.Generator().manual_seed(args.seed)
    log = open(os.path.join(args.out, "train.log"), "a")

    def say(msg):
        print(msg, flush=True)
        log.write(msg + "\n")
        log.flush()

    say(f"# {time.strftime('%Y-%m-%d %H:%M:%S')} args={vars(args)} params={params}")
    start = time.time()
    for step in range(args.first_step + 1, args.first_step + args.steps + 1):
        x, y = batch(rng, args.batch, excluded, args.label_noise, args.verify_share, args.claim_loss)
        loss = F.cross_entropy(model(x)[0].reshape(-1, VOCAB), y.reshape(-1), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 50 == 0:
            say(f"step {step} loss {loss.item():.4f} lr {sched.get_last_lr()[0]:.2e} elapsed {time.time() - start:.0f}s")
        if step % args.eval_every == 0 or step == args.first_step + args.steps:
            m = evaluate(model, valid, gen)
            m.update(step=step, elapsed=round(time.time() - start), loss=round(loss.item(), 4))
            say("eval " + json.dumps(m))
            dump(model, os.path.join(args.out, f"step{step:05d}"))
    say(f"# done in {time.time() - start:.0f}s")


if __name__ == "__main__":
    sys.exit(main())
