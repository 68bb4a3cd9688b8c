"""docs/attention.ipynb runs top to bottom in a real Jupyter kernel and shows the seed's numbers."""

import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

DOCS = Path(__file__).parent.parent / "docs"
sys.path.insert(0, str(DOCS))
import make_notebook  # noqa: E402


def outputs(cell, mime):
    return [o["data"][mime] for o in cell.get("outputs", []) if mime in o.get("data", {})]


def find(nb, source_start):
    return next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith(source_start))


def test_the_committed_notebook_is_the_one_the_script_writes():
    committed = nbformat.read(DOCS / "attention.ipynb", as_version=4)
    assert [c.source for c in committed.cells] == [c.source for c in make_notebook.build().cells]


def test_the_notebook_runs_in_a_kernel_and_shows_the_seed():
    nb = nbformat.read(DOCS / "attention.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    make_notebook.execute(nb)  # raises CellExecutionError, with the traceback, if any cell fails
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []

    html = outputs(find(nb, "steps = attncli.run(scenario)"), "text/html")
    assert len(html) == 1
    for weight in ("0.448", "0.172", "0.380"):  # the seed's row of 'dog', in shaded cells
        assert f">{weight}</td>" in html[0]
    assert "background: #" in html[0]

    row = outputs(find(nb, "steps.heads[0].weights[0]"), "text/plain")[0]
    assert "0.44832759" in row and "0.1719828" in row and "0.37968961" in row

    walkthrough = outputs(find(nb, "steps.explain()"), "text/html")
    assert len(walkthrough) == 1 and "Step 4" in walkthrough[0] and "Step 5" in walkthrough[0]

    same = outputs(find(nb, "def softmax"), "text/plain")[0]
    assert float(same.removeprefix("np.float64(").rstrip(")")) < 1e-15

    printed = "".join(o.get("text", "") for o in find(nb, "try:").outputs)
    assert printed.strip() == ("q has 2 columns but k has 1: queries and keys need the same width d_k to take their "
                               "dot products")
