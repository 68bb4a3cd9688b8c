"""Find a scenario (a file, stdin or a built-in), read it safely, and hand its YAML to the reader."""

from __future__ import annotations

import difflib
import re
import sys
from pathlib import Path

import yaml

from attncli import limits
from attncli.errors import AttncliError
from attncli.files import decode, read_at_most
from attncli.reader import Reader, TooManyProblems, is_empty
from attncli.scenario import Scenario


def builtin_names() -> list[str]:
    """Names of the scenarios shipped inside the package."""
    return sorted(p.name[: -len(".yaml")] for p in _builtin_dir().iterdir() if p.name.endswith(".yaml"))


def builtin_text(name: str) -> str:
    """The YAML text of a built-in scenario."""
    return (_builtin_dir() / f"{name}.yaml").read_text(encoding="utf-8")


def _builtin_dir() -> Path:
    # find_spec, not importlib.resources: the same folder (installed, or mapped by an editable
    # install), without importing zipfile and tempfile on every start.
    from importlib.util import find_spec

    spec = find_spec("attncli.scenarios")
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    # A plain checkout on sys.path has no attncli.scenarios: the folder sits beside the package.
    beside = Path(__file__).resolve().parent.parent / "scenarios"
    if beside.is_dir():
        return beside
    raise AttncliError(
        f"the built-in scenarios are missing: attncli.scenarios is not installed and there is no folder {beside}; "
        "reinstall attncli"
    )


def load(ref: str) -> Scenario:
    """Load a scenario from a path, '-' for stdin, or the name of a built-in."""
    text, origin, stem = _read(ref)
    return parse(text, origin=origin, default_name=stem)


def _read(ref: str) -> tuple[str, str, str]:
    try:
        return _read_unchecked(ref)
    except AttncliError:
        raise
    except OSError as e:  # a name the system refuses (too long, a loop of links further up the path)
        raise AttncliError(f"cannot read the file: {e.strerror or e}", origin=ref) from None


def _read_unchecked(ref: str) -> tuple[str, str, str]:
    if ref == "-":
        limit = limits.max_file_bytes()
        return decode(read_at_most(sys.stdin.buffer, limit), "<stdin>", limit), "<stdin>", "stdin"
    path = Path(ref)
    if path.is_dir() and ref in builtin_names():  # a folder named like a built-in does not hide it
        return builtin_text(ref), f"{ref} (built-in)", ref
    if not path.exists() and not path.is_symlink() and not path.suffix and "/" not in ref and "\\" not in ref:
        names = builtin_names()
        if ref in names:
            return builtin_text(ref), f"{ref} (built-in)", ref
        hint = difflib.get_close_matches(ref, names, n=1, cutoff=0.5)
        also = f"; did you mean {hint[0]}?" if hint else ""
        raise AttncliError(
            f"no such file or built-in scenario (built-ins: {', '.join(names)}){also}", origin=ref
        )
    if not path.exists() and not path.is_symlink():
        raise AttncliError("no such file", origin=ref)
    if path.is_dir():
        raise AttncliError("is a directory, not a scenario file", origin=ref)
    try:
        with path.open("rb") as f:
            data = read_at_most(f, limits.max_file_bytes())
    except PermissionError:
        raise AttncliError("permission denied: cannot read the file", origin=ref) from None
    except OSError as e:
        raise AttncliError(f"cannot read the file: {e.strerror or e}", origin=ref) from None
    return decode(data, ref, limits.max_file_bytes()), ref, path.stem


def parse(text: str, *, origin: str, default_name: str = "scenario") -> Scenario:
    """Validate YAML text as a scenario; origin names it in messages."""
    root = _compose(text, origin)
    return Reader(origin, len(text)).scenario(root, default_name)


_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]*\Z")
_loader_class = None


def safe_loader_class():
    """PyYAML's safe loader (libyaml's parser where installed), resolving plain integers and decimals
    without trying every YAML 1.1 pattern: the largest legal file has a million of them, and the
    resolver was most of the time to read it. The tags are PyYAML's own (tests/test_text_limits_and_exits.py)."""
    global _loader_class
    if _loader_class is None:
        from yaml.nodes import ScalarNode

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class _Loader(base):
            def resolve(self, kind, value, implicit):
                if kind is ScalarNode and implicit[0]:
                    if _INT.match(value):
                        return "tag:yaml.org,2002:int"
                    if _FLOAT.match(value):
                        return "tag:yaml.org,2002:float"
                return super().resolve(kind, value, implicit)

        _loader_class = _Loader
    return _loader_class


def _compose(text: str, origin: str):
    # libyaml's parser, where PyYAML has it, reads a 3 MB file about six times faster.
    safe_loader = safe_loader_class()
    loader = None
    try:
        loader = safe_loader(text)
        return loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = e.problem or "cannot be read"
        if e.context and e.context not in what:
            what = f"{e.context}: {what}"
        if mark is not None and text[mark.index:mark.index + 1] == "\t":
            what = "a tab character: YAML indents with spaces only"
        raise AttncliError(f"invalid YAML: {what}", origin=origin, line=mark.line + 1 if mark else None) from None
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, max(e.position, 0)) + 1
        raise AttncliError(
            f"invalid YAML: character {chr(e.character)!r} (#x{e.character:04x}) is not allowed in YAML",
            origin=origin,
            line=line,
        ) from None
    except yaml.YAMLError as e:
        raise AttncliError(f"invalid YAML: {e}", origin=origin) from None
    except RecursionError:
        raise AttncliError("the YAML is nested too deeply to read", origin=origin) from None
    finally:
        if loader is not None:
            loader.dispose()


def validate(ref: str) -> list[AttncliError]:
    """Every problem of a scenario, not only the first; an empty list when it is valid."""
    from attncli.scenario import evaluate, settings_for

    try:
        text, origin, stem = _read(ref)
        root = _compose(text, origin)
    except AttncliError as error:
        return [error]
    reader = Reader(origin, len(text), collect=True)
    if is_empty(root):
        return [reader.attempt(reader.scenario, root, stem) or reader.problems[0]]
    try:
        reader.attempt(reader.survey, root)
        if reader.problems:
            return sorted(reader.problems, key=lambda e: e.line or 0)
        scenario = reader.attempt(reader.scenario, root, stem)
    except TooManyProblems:  # MAX_PROBLEMS of them: the caller says that reading stopped there
        return sorted(reader.problems, key=lambda e: e.line or 0)
    if reader.problems or scenario is None:
        return sorted(reader.problems, key=lambda e: e.line or 0)
    try:
        evaluate(scenario, settings_for(scenario))
    except AttncliError as error:
        return [error]
    return []


def complete(incomplete: str) -> list[str]:
    """Tab completion of a SCENARIO: the built-in names, then the .yaml files that start with what was typed."""
    folder = Path(incomplete).parent if "/" in incomplete else Path(".")
    files = sorted(str(p) if "/" in incomplete else p.name for p in folder.glob("*.y*ml") if p.is_file())
    try:
        names = builtin_names()
    except AttncliError:  # no built-ins folder: Tab still completes files, and explain says what is wrong
        names = []
    return [name for name in names + files if name.startswith(incomplete)]


def builtin_yaml(name: str) -> str:
    """A built-in scenario's YAML text, or an error that lists the built-ins (and the closest name)."""
    names = builtin_names()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise AttncliError(f"no built-in scenario {name!r}; the built-ins are {', '.join(names)}{hint}")
    return builtin_text(name)


def validation_report(files: list[str]) -> tuple[list[str], bool]:
    """The report of every problem of each file, and whether all were valid."""
    from attncli.reader import MAX_PROBLEMS
    from attncli.safe_text import visible

    lines, ok = [], True
    for file in files:
        problems = validate(file)
        if problems:
            ok = False
            lines += [str(problem) for problem in problems]
            if len(problems) >= MAX_PROBLEMS:
                lines.append(f"{visible(file)}: {MAX_PROBLEMS} problems, and validate stopped reading there; "
                             "fix these, then validate again")
            else:
                lines.append(f"{visible(file)}: {len(problems)} problem{'s' if len(problems) > 1 else ''}")
        else:
            lines.append(f"{visible(file)}: ok")
    return lines, ok
