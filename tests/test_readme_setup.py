"""The README's setup section tells a user who sees skipped tests why, and how to run them as CI does."""

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def setup_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme[readme.index("## Setup"):readme.index("\n## ", readme.index("## Setup") + 1)]


def test_the_readme_installs_the_oracles_as_ci_does():
    """Every oracle .ci/run installs is installed, with the same words, by the README's commands."""
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    oracles = [line.replace(" --quiet", "") for line in re.findall(r"^pip install .*$", script, re.M)
               if "'.[test]'" not in line]
    assert oracles, "no oracle install line found in .ci/run"
    section = setup_section()
    for line in oracles:
        assert line in section, line
    assert "export ATTNCLI_REQUIRE_ORACLES=1" in script and "ATTNCLI_REQUIRE_ORACLES=1 pytest" in section


def test_the_readme_says_why_tests_skip():
    section = " ".join(setup_section().split())
    assert "Some tests are skipped there" in section and "`-ra`" in section
    assert "-ra" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")  # so the summary names each skip
