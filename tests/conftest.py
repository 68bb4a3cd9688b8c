import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

SEED_YAML = """\
name: The dog ate his dinner
tokens: [dog, ate, dinner]
embeddings:
  - [1.0, 2.0, 3.0]
  - [0.5, 1.0, 1.5]
  - [2.0, 1.0, 0.5]
W_Q: [[0.6, -0.2], [0.1, 0.5], [-0.3, 0.4]]
W_K: [[0.2, 0.3], [-0.4, 0.7], [0.5, -0.1]]
W_V: [[0.9, 0.1], [0.2, 0.8], [-0.1, 0.6]]
"""


@pytest.fixture
def write(tmp_path):
    """Write a scenario file and return its path as a string."""

    def _write(text, name="s.yaml", mode="w"):
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return str(path)

    return _write
