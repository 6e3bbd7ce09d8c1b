#!/usr/bin/python3
"""Trains models/steps: a small character-level transformer decoder that works a chain of three to six
arithmetic operations one step per line, and judges steps and answers with yes/no, the shipped model for
step-level search (beam search, particle filtering) and its process reward.

    user:      Solve: 17 +25 *3 -8
    assistant: 17+25=42
               42*3=126
               126-8=118
               answer: 118

    user:      Check last step:            (the process verifier: is the last line right?)
               Solve: 17 +25 *3 -8
               17+25=42
               42*3=124
    assistant: no

    user:      Check answer:               (the outcome verifier: is the final answer right?)
               Solve: 17 +25 *3 -8
               17+25=42 ... answer: 118
    assistant: yes

The chain applies its operations left to right. **Deliberately fallible, step by step**: in the training
answers each step's result is wrong with probability --step-noise (a near miss: one digit changed, +-1, +-10 or
a few units off), and the steps after it carry on correctly from the wrong value, as a careless solver does.
A sample from the trained model therefore slips in individual steps, in different steps for different samples,
and gets a whole chain right well under half the time; verification labels are never noised.

Everything comes from a fixed seed: the held-out benchmark (benchmarks/steps/test.jsonl), the step-level
verification set (benchmarks/steps/verify-steps.jsonl), a validation set used only to pick the checkpoint,
and the training stream, which never contains a held-out chain (checked before training). Batch k of the
stream is a function of (seed, k) alone, so a run resumed from a checkpoint sees exactly the batches an
uninterrupted run would.

Runs on a CUDA GPU (PyTorch 2.x) or on the CPU (Debian's python3-torch 1.13); the shipped model's command
and timings are in models/steps/README.md. Checkpoints are written as tools/arith/ArithTool reads them
(the architecture is tools/arith/train.py's Decoder), so the export is
    dotnet run -c Release --project tools/arith/ArithTool -- export tools/steps/out/chosen models/steps --name compose-steps
"""
import argparse
import contextlib
import copy
import importlib.util
import itertools
import json
import math
import multiprocessing
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

# The architecture, tokens and checkpoint format are tools/arith/train.py's (ArithTool exports both models).
_spec = importlib.util.spec_from_file_location("arith_train", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "arith", "train.py"))
arith = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(arith)
END_OF_TEXT, IM_END, VOCAB, Decoder, dump, prompt_ids = arith.END_OF_TEXT, arith.IM_END, arith.VOCAB, arith.Decoder, arith.dump, arith.prompt_ids

SOLVE, CHECK_STEP, CHECK_ANSWER = "Solve: ", "Check last step:\n", "Check answer:\n"


# ----------------------------------------------------------------------------- data

def make_chain(rng):
    """A start number and three to six operations applied left to right, every value in 0..99: +b and -b with b in
    1..9, *k with k in 2..5 where the product stays under 100. Small operands keep the model small enough to train
    on a CPU; the chain is where the difficulty is."""
    value = rng.randint(2, 99)
    start, ops = value, []
    for _ in range(rng.randint(3, 6)):
        choices = []
        if 2 <= value <= 49:
            choices += ["*"] * 3
        if value <= 98:
            choices += ["+"] * 4
        if value >= 2:
            choices += ["-"] * 4
        op = rng.choice(choices)
        if op == "*":
            b = rng.randint(2, min(5, 99 // value))
            value *= b
        elif op == "+":
            b = rng.randint(1, min(9, 99 - value))
            value += b
        else:
            b = rng.randint(1, min(9, value))
            value -= b
        ops.append((op, b))
    return start, ops


def question(chain):
    start, ops = chain
    return SOLVE + f"{start} " + " ".join(f"{op}{b}" for op, b in ops)


def apply(value, op, b):
    return value + b if op == "+" else value - b if op == "-" else value * b


def true_value(chain):
    value = chain[0]
    for op, b in chain[1]:
        value = apply(value, op, b)
    return value


def near_miss(rng, value):
    """A wrong result close to the right one, as a careless solver writes it (never negative)."""
    while True:
        r = rng.random()
        if r < 0.5:
            s = list(str(value))
            i = rng.randrange(len(s))
            s[i] = str(rng.randint(1 if i == 0 and len(s) > 1 else 0, 9))
            wrong = int("".join(s))
        elif r < 0.7:
            wrong = value + rng.choice([-1, 1])
        elif r < 0.85:
            wrong = value + rng.choice([-10, 10])
        else:
            wrong = value + rng.choice([-1, 1]) * rng.randint(2, 9)
        if wrong != value and wrong >= 0:
            return wrong


def work(rng, chain, noise):
    """The chain worked step by step as a fallible solver does: each step's result is a near miss with
    probability `noise`, later steps carry on from what was written. Returns the lines (the answer line last)
    and, per line, whether it is right given the line before."""
    value, lines, right = chain[0], [], []
    for op, b in chain[1]:
        result = apply(value, op, b)
        ok = rng.random() >= noise
        written = result if ok else near_miss(rng, result)
        lines.append(f"{value}{op}{b}={written}")
        right.append(ok)
        value = written
    lines.append(f"answer: {value}")
    right.append(True)
    return lines, right


def check_step_prompt(q, lines):
    return CHECK_STEP + q + "\n" + "\n".join(lines)


def check_answer_prompt(q, lines):
    return CHECK_ANSWER + q + "\n" + "\n".join(lines)


def step_check_example(rng, chain, noise):
    """A prefix of a worked chain whose last line is right or (half the time) a near miss; label yes/no. The
    lines before it carry the solver's usual slips, so the verifier learns to judge a step on its own operands."""
    lines, _ = work(rng, chain, noise)
    cut = rng.randint(1, len(lines))
    prefix = lines[:cut]
    right = rng.random() < 0.5
    if prefix[-1].startswith("answer: "):
        correct = int(prefix[-2].split("=")[1])
        prefix[-1] = f"answer: {correct if right else near_miss(rng, correct)}"
    else:
        lhs = prefix[-1].split("=")[0]
        op = next(c for c in "+-*" if c in lhs[1:])
        a, b = lhs[: lhs.index(op, 1)], lhs[lhs.index(op, 1) + 1:]
        correct = apply(int(a), op, int(b))
        prefix[-1] = f"{lhs}={correct if right else near_miss(rng, correct)}"
    return check_step_prompt(question(chain), prefix), "yes" if right else "no"


def answer_check_example(rng, chain, noise):
    """A whole worked chain, with the solver's slips at twice the usual rate so right and wrong answers come about
    equally often; label: is the final answer the chain's true value."""
    lines, _ = work(rng, chain, min(0.5, 2 * noise))
    return check_answer_prompt(question(chain), lines), "yes" if lines[-1] == f"answer: {true_value(chain)}" else "no"


def training_example(rng, excluded, noise, step_share, answer_share):
    while True:
        chain = make_chain(rng)
        if question(chain) not in excluded:
            break
    r = rng.random()
    if r < step_share:
        return step_check_example(rng, chain, noise)
    if r < step_share + answer_share:
        return answer_check_example(rng, chain, noise)
    lines, _ = work(rng, chain, noise)
    return question(chain), "\n".join(lines)


def claim_positions(question):
    """For a check prompt, the character positions (in the question) of the results of its lines that are right given
    their own operands, and of a right final answer. Supervising them (--claim-loss) teaches the model to work each
    value out where it reads the claim: the computation its yes/no has to compare against (as models/arith's stage 2)."""
    if not question.startswith((CHECK_STEP, CHECK_ANSWER)):
        return []
    positions, offset, previous = [], 0, None
    for index, line in enumerate(question.split("\n")):
        if index >= 2:
            if line.startswith("answer: "):
                if previous is not None and line[8:] == str(previous):
                    positions += range(offset + 8, offset + len(line))
            else:
                lhs, _, written = line.partition("=")
                op = next((c for c in "+-*" if c in lhs[1:]), None)
                if op and written.isdigit():
                    a, b = lhs[: lhs.index(op, 1)], lhs[lhs.index(op, 1) + 1:]
                    if a.isdigit() and b.isdigit() and apply(int(a), op, int(b)) == int(written):
                        positions += range(offset + len(lhs) + 1, offset + len(line))
                    previous = int(written)
        offset += len(line) + 1
    return positions


QUESTION_OFFSET = len(prompt_ids("")) - len(arith.ASSISTANT_TAIL)  # where the question's bytes start in prompt_ids


def batch_for(args):
    """Batch number `step` of the training stream: a function of (seed, step) alone."""
    seed, step, size, excluded, noise, step_share, answer_share, claim_loss = args
    rng = random.Random(seed * 1_000_003 + step)
    examples = [training_example(rng, excluded, noise, step_share, answer_share) for _ in range(size)]
    seqs = []
    for q, a in examples:
        p = prompt_ids(q)
        seqs.append((len(p), p + list(a.encode()) + [IM_END]))
    length = max(len(full) for _, full in seqs) - 1
    x = torch.full((size, length), END_OF_TEXT, dtype=torch.long)
    y = torch.full((size, length), -100, dtype=torch.long)
    for i, ((plen, full), (q, _)) in enumerate(zip(seqs, examples)):
        n = len(full) - 1
        x[i, :n] = torch.tensor(full[:-1])
        target = torch.tensor(full[1:])
        keep = [QUESTION_OFFSET + c - 1 for c in claim_positions(q)] if claim_loss else []
        claimed = target[keep].clone()
        target[: plen - 1] = -100  # loss on the answer and its <|im_end|> ...
        target[keep] = claimed  # ... and, with claim_loss, on the right results a check prompt shows
        y[i, :n] = target
    return x.numpy(), y.numpy()  # numpy arrays cross the worker pipe as plain bytes


def held_out(seed, count, exclude):
    rng = random.Random(seed)
    items, seen = [], set(exclude)
    while len(items) < count:
        chain = make_chain(rng)
        q = question(chain)
        if q in seen:
            continue
        seen.add(q)
        items.append(chain)
    return items


# ----------------------------------------------------------------------------- sampling and evaluation

def by_length(prompts, size):
    """The prompts in chunks of at most `size`, each chunk of one tokenized length (no padding needed)."""
    buckets = {}
    for p in prompts:
        buckets.setdefault(len(prompt_ids(p)), []).append(p)
    for ps in buckets.values():
        for start in range(0, len(ps), size):
            yield ps[start:start + size]


@torch.no_grad()
def complete(model, prompts, samples, temperature, gen, max_new, device):
    """Completions (text up to <|im_end|>) for each prompt, `samples` each; temperature 0 is greedy."""
    model.eval()
    out = {p: [] for p in prompts}
    for chunk in by_length(prompts, 256):
        logits, past = model(torch.tensor([prompt_ids(p) for p in chunk], device=device))
        logits = logits[:, -1, :].repeat_interleave(samples, 0)
        past = [(k.repeat_interleave(samples, 0), v.repeat_interleave(samples, 0)) for k, v in past]
        done = torch.zeros(logits.shape[0], dtype=torch.bool, device=device)
        new = []
        for _ in range(max_new):
            if temperature == 0:
                nxt = logits.argmax(-1)
            else:
                probs = (logits.float() / temperature).softmax(-1).cpu()
                nxt = torch.multinomial(probs, 1, generator=gen).squeeze(1).to(device)
            nxt = torch.where(done, torch.full_like(nxt, IM_END), nxt)
            done |= nxt == IM_END
            new.append(nxt)
            if bool(done.all()):
                break
            logits, past = model(nxt[:, None], past)
            logits = logits[:, -1, :]
        rows = torch.stack(new, 1).tolist()
        for i, row in enumerate(rows):
            text = bytes(t for t in row[: row.index(IM_END)] if t < 256) if IM_END in row else b"?"
            out[chunk[i // samples]].append(text.decode("utf-8", "replace"))
    model.train()
    return out


def final_answer(text):
    last = text.strip().split("\n")[-1]
    return last[len("answer: "):].strip() if last.startswith("answer: ") else None


@torch.no_grad()
def yes_probability(model, prompts, device):
    """P(first token = 'y') for each prompt at temperature 1: the process / outcome reward Compose reads."""
    model.eval()
    result = {}
    for chunk in by_length(prompts, 512):
        logits, _ = model(torch.tensor([prompt_ids(p) for p in chunk], device=device))
        probs = logits[:, -1, :].float().softmax(-1)[:, ord("y")].tolist()
        result.update(zip(chunk, probs))
    model.train()
    return result


def evaluate(model, chains, step_items, gen, device, samples=16, temperature=1.0):
    qs = [question(c) for c in chains]
    drawn = complete(model, qs, samples, temperature, gen, 96, device)
    greedy = complete(model, qs, 1, 0, gen, 96, device)
    single = cover = vote = greedy_ok = 0
    wrong_steps = []
    for c, q in zip(chains, qs):
        truth = str(true_value(c))
        answers = [final_answer(t) for t in drawn[q]]
        ok = [a == truth for a in answers]
        single += sum(ok) / len(ok)
        cover += any(ok)
        counts = {}
        for a in answers:
            if a is not None:
                counts[a] = counts.get(a, 0) + 1
        if counts:
            top = max(counts.items(), key=lambda kv: (kv[1], -answers.index(kv[0])))[0]
            vote += top == truth
        greedy_ok += final_answer(greedy[q][0]) == truth
        for t in drawn[q]:
            wrong_steps.append(first_wrong_step(c, t))
    n = len(chains)
    p_step = yes_probability(model, [p for p, _ in step_items], device)
    step_ok = sum((p_step[p] > 0.5) == (label == "yes") for p, label in step_items) / len(step_items)
    # outcome verifier on the model's own samples (first four per question)
    answer_items = [(check_answer_prompt(q, t.strip().split("\n")), final_answer(t) == str(true_value(c)))
                    for c, q in zip(chains, qs) for t in drawn[q][:4]
                    if final_answer(t) is not None and len(prompt_ids(check_answer_prompt(q, t.strip().split("\n")))) < model.config["context"]]
    p_answer = yes_probability(model, [p for p, _ in answer_items], device)
    # balanced: the mean of the accuracies on right and on wrong answers (samples are mostly one or the other)
    rights = [p_answer[p] > 0.5 for p, right in answer_items if right]
    wrongs = [p_answer[p] <= 0.5 for p, right in answer_items if not right]
    answer_ok = (sum(rights) / max(1, len(rights)) + sum(wrongs) / max(1, len(wrongs))) / 2
    where = {}
    for w in wrong_steps:
        where[str(w)] = where.get(str(w), 0) + 1
    return dict(single=round(single / n, 4), vote16=round(vote / n, 4), cover16=round(cover / n, 4), greedy=round(greedy_ok / n, 4),
                verify_step=round(step_ok, 4), verify_answer=round(answer_ok, 4), first_wrong_step=dict(sorted(where.items())))


def first_wrong_step(chain, text):
    """1-based index of the first line that is wrong given the line before (operands, result), 0 when all are
    right, -1 when the text is not a chain of the expected form."""
    lines = text.strip().split("\n")
    value = chain[0]
    for i, (op, b) in enumerate(chain[1]):
        if i >= len(lines):
            return -1
        expected_lhs = f"{value}{op}{b}="
        if not lines[i].startswith(expected_lhs):
            return i + 1
        try:
            written = int(lines[i][len(expected_lhs):])
        except ValueError:
            return i + 1
        if written != apply(value, op, b):
            return i + 1
        value = written
    return 0 if len(lines) > len(chain[1]) and lines[len(chain[1])] == f"answer: {value}" else len(chain[1]) + 1


# ----------------------------------------------------------------------------- files

def write_benchmark(path, chains):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for i, c in enumerate(chains):
            f.write(json.dumps(dict(id=f"steps-{i:04d}", prompt=question(c), reference=str(true_value(c)),
                                    metadata=dict(steps=len(c[1]))), separators=(",", ":")) + "\n")


def step_verification_items(chains, seed, noise):
    """Per chain two step checks (a right and a wrong last step, at a random depth): the verifier's held-out set."""
    rng = random.Random(seed)
    items = []
    for c in chains:
        for want in ("yes", "no"):
            while True:
                prompt, label = step_check_example(rng, c, noise)
                if label == want:
                    break
            items.append((prompt, label))
    return items


def write_step_verification(path, items):
    with open(path, "w") as f:
        for i, (prompt, label) in enumerate(items):
            f.write(json.dumps(dict(id=f"verify-step-{i:04d}", prompt=prompt, reference=label), separators=(",", ":")) + "\n")


# ----------------------------------------------------------------------------- training

def first_step(args):
    state_file = os.path.join(args.out, "state.pt")
    if args.resume and os.path.exists(state_file):
        return torch.load(state_file, map_location="cpu")["step"] + 1
    return args.first_step + 1 if args.init_from else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tools/steps/out")
    ap.add_argument("--benchmark-dir", default="benchmarks/steps")
    ap.add_argument("--seed", type=int, default=20261130)
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--mlp", type=int, default=256)
    ap.add_argument("--context", type=int, default=160)
    ap.add_argument("--step-noise", type=float, default=0.2, help="per-step probability that a training answer's step result is a near miss")
    ap.add_argument("--step-share", type=float, default=0.25, help="share of process-verification prompts in the training stream")
    ap.add_argument("--answer-share", type=float, default=0.1, help="share of outcome-verification prompts")
    ap.add_argument("--eval-every", type=int, default=1000)
    ap.add_argument("--eval-items", type=int, default=100)
    ap.add_argument("--workers", type=int, default=max(1, min(8, (os.cpu_count() or 2) - 1)))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--resume", action="store_true", help="continue from the latest checkpoint under --out (weights, optimizer, schedule)")
    ap.add_argument("--time-limit", type=float, default=0, help="stop (after a checkpoint) once this many seconds have passed; 0 = none")
    ap.add_argument("--time-budget", type=float, default=0,
                    help="size the run to this many seconds: after 200 steps, --steps is set from the measured step time "
                         "(the schedule then decays to its end within the budget); 0 = use --steps")
    ap.add_argument("--init-from", help="start from the weights of a checkpoint folder (a fresh optimizer and schedule: a new stage)")
    ap.add_argument("--first-step", type=int, default=0, help="with --init-from: the step the checkpoint was taken at, so batches and names continue")
    ap.add_argument("--claim-loss", action="store_true", help="also train on the right results shown in check prompts (see claim_positions)")
    ap.add_argument("--data-only", action="store_true", help="write the held-out files and check disjointness, then stop")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    os.makedirs(args.out, exist_ok=True)

    test = held_out(args.seed + 1, 300, ())
    valid = held_out(args.seed + 2, args.eval_items, [question(c) for c in test])
    excluded = frozenset(question(c) for c in test) | frozenset(question(c) for c in valid)
    write_benchmark(os.path.join(args.benchmark_dir, "test.jsonl"), test)
    write_step_verification(os.path.join(args.benchmark_dir, "verify-steps.jsonl"), step_verification_items(test, args.seed + 3, args.step_noise))
    write_benchmark(os.path.join(args.out, "valid.jsonl"), valid)
    valid_steps = step_verification_items(valid, args.seed + 4, args.step_noise)

    # Disjointness: no held-out chain appears in the training stream, as a question or inside a check prompt.
    probe = random.Random(args.seed + 99)
    for _ in range(100000):
        q, _ = training_example(probe, excluded, args.step_noise, args.step_share, args.answer_share)
        shown = q if q.startswith(SOLVE) else q.split("\n")[1]
        assert shown not in excluded, shown
    if args.data_only:
        print(f"wrote {len(test)} test chains, {2 * len(test)} step checks, {len(valid)} validation chains; the training stream avoids them")
        return 0

    # Workers are forked before CUDA is touched; batch k depends on (seed, k) alone, so the stream is the same for any
    # number of workers.
    jobs = ((args.seed, s, args.batch, excluded, args.step_noise, args.step_share, args.answer_share, args.claim_loss) for s in itertools.count(first_step(args)))
    pool = multiprocessing.Pool(args.workers) if args.workers > 1 else None
    stream = pool.imap(batch_for, jobs, chunksize=4) if pool else map(batch_for, jobs)

    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    model = Decoder(args.hidden, args.layers, args.heads, args.mlp, args.context).to(device)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.98))

    def schedule(stage_first):
        """Warm-up, then cosine decay to a tenth over the stage (steps stage_first .. args.steps, read when called)."""
        def factor(s):
            length = max(1, args.steps - stage_first + 1)
            return min(1, (s + 1) / args.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(s, length) / length)))
        return torch.optim.lr_scheduler.LambdaLR(opt, factor)

    first = first_step(args)
    stage_first = first if args.init_from else 1
    sched = schedule(stage_first)
    state_file = os.path.join(args.out, "state.pt")
    if args.init_from and not args.resume:
        manifest = json.load(open(os.path.join(args.init_from, "manifest.json")))
        raw = open(os.path.join(args.init_from, "weights.bin"), "rb").read()
        model.load_state_dict({t["name"]: torch.frombuffer(bytearray(raw[t["offset"]:t["offset"] + 4 * math.prod(t["shape"])]), dtype=torch.float32).view(*t["shape"])
                               for t in manifest["tensors"]})
    elif first > 1:
        state = torch.load(state_file, map_location=device)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        first = state["step"] + 1
        args.steps, args.eval_every = state.get("total", args.steps), state.get("eval_every", args.eval_every)
        stage_first = state.get("stage_first", 1)
        sched = schedule(stage_first)
        sched.load_state_dict(state["sched"])
    gen = torch.Generator().manual_seed(args.seed)
    log = open(os.path.join(args.out, "train.log"), "a")

    def say(msg):
        print(msg, flush=True)
        log.write(msg + "\n")
        log.flush()

    say(f"# {time.strftime('%Y-%m-%d %H:%M:%S')} args={vars(args)} params={params} device={device}"
        f"{' ' + torch.cuda.get_device_name(device) if device.type == 'cuda' else ''} torch={torch.__version__} from step {first}")
    start = time.time()
    sized = args.time_budget <= 0 or (args.resume and first > 1)
    for step, (x, y) in zip(itertools.count(first), stream):
        if step > args.steps:
            break
        x, y = torch.from_numpy(x).to(device, non_blocking=True), torch.from_numpy(y).to(device, non_blocking=True)
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext():
            logits = model(x)[0]
        loss = F.cross_entropy(logits.float().reshape(-1, VOCAB), y.reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if not sized and step == first + 199:
            per_step = (time.time() - start) / 200
            # evaluations take about a tenth of the time at one per fifth of the run
            args.steps = step + int((args.time_budget - (time.time() - start)) * 0.88 / per_step)
            args.eval_every = max(200, (args.steps // 5) // 100 * 100)
            sized = True
            say(f"# {per_step * 1000:.1f} ms a step: --steps {args.steps}, --eval-every {args.eval_every}")
        if step % 100 == 0:
            say(f"step {step} loss {loss.item():.4f} lr {sched.get_last_lr()[0]:.2e} elapsed {time.time() - start:.0f}s")
        over = args.time_limit and time.time() - start > args.time_limit
        if step % args.eval_every == 0 or step == args.steps or over:
            m = evaluate(model, valid, valid_steps, gen, device)
            m.update(step=step, elapsed=round(time.time() - start), loss=round(loss.item(), 4))
            say("eval " + json.dumps(m))
            dump(copy.deepcopy(model).cpu(), os.path.join(args.out, f"step{step:05d}"))
            torch.save(dict(model=model.state_dict(), opt=opt.state_dict(), sched=sched.state_dict(), step=step,
                            total=args.steps, eval_every=args.eval_every, stage_first=stage_first), state_file)
            if over:
                say(f"# time limit: stopped after step {step}; --resume continues")
                break
    if pool:
        pool.terminate()
    say(f"# done in {time.time() - start:.0f}s")


if __name__ == "__main__":
    sys.exit(main())
