"""Write docs/attention.ipynb, the worked example through the Python API, and run it so that it carries outputs.

Usage: python docs/make_notebook.py   (needs the test extra: nbformat, nbclient, ipykernel)
tests/test_notebook.py runs the notebook again in a fresh kernel and checks what it shows.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent

CELLS = [
    ("md", "# Attention, step by step, in Python\n\n"
           "The worked example, *The dog ate his dinner*, through attncli's Python API: "
           "$\\mathrm{Attention}(Q, K, V) = \\mathrm{softmax}(QK^\\top / \\sqrt{d_k})\\,V$.\n\n"
           "Every result shows itself: a table with the weights shaded from 0 (dark) to 1 (yellow)."),
    ("code", "import numpy as np\nimport attncli\n\nscenario = attncli.load(\"dog_ate_dinner\")\nscenario"),
    ("md", "## Run it\n\n`run` returns every intermediate step under the paper's names. "
           "The row of *dog* is the worked example's $A_{dog} = [0.448, 0.172, 0.380]$."),
    ("code", "steps = attncli.run(scenario)\nsteps"),
    ("code", "steps.heads[0].weights[0], steps.output[0]"),
    ("md", "## Every step\n\n`explain()` shows the whole walkthrough: Q, K, V, the scores, the division by "
           "$\\sqrt{d_k}$, softmax and the weighted sum, each with why it is there."),
    ("code", "steps.explain()"),
    ("md", "## Your own arrays\n\n`attention(q, k, v)` is the paper's function on any array-likes "
           "(lists, float32 arrays...), computed in float64; $d_k$ is taken from the width of `q`."),
    ("code", "X = np.array(scenario.x)\nW_Q, W_K, W_V = (scenario.heads[0].w_q, scenario.heads[0].w_k, "
             "scenario.heads[0].w_v)\nq, k, v = X @ W_Q, X @ W_K, X @ W_V\n"
             "head = attncli.attention(q.tolist(), k.astype(np.float32), v)\nhead"),
    ("md", "The same computation in four lines of NumPy, the lines `attncli explain --code numpy` shows "
           "beside each step:"),
    ("code", "def softmax(s):\n    e = np.exp(s - s.max(axis=-1, keepdims=True))\n"
             "    return e / e.sum(axis=-1, keepdims=True)\n\n"
             "scores = q @ k.T\nscaled = scores / np.sqrt(q.shape[-1])\nweights = softmax(scaled)\n"
             "out = weights @ v\nnp.abs(weights - steps.heads[0].weights).max()"),
    ("md", "## A causal mask, and why divide by $\\sqrt{d_k}$\n\n"
           "With `mask=\"causal\"` no word sees a later one. `comparison` runs the scenario against a variant."),
    ("code", "attncli.run(scenario, mask=\"causal\")"),
    ("code", "attncli.comparison(scenario, scale=False)"),
    ("md", "## Mistakes are explained\n\nWrong shapes give one sentence, the same words as the command line:"),
    ("code", "try:\n    attncli.attention(q, k[:, :1], v)\nexcept attncli.AttncliError as error:\n    print(error)"),
]


def build() -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.cells = [new_markdown_cell(text) if kind == "md" else new_code_cell(text) for kind, text in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run every cell in a fresh kernel, top to bottom."""
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    return nb


def main() -> None:
    nb = execute(build())
    nbformat.write(nb, HERE / "attention.ipynb")
    print(f"wrote {HERE / 'attention.ipynb'}")


if __name__ == "__main__":
    main()
