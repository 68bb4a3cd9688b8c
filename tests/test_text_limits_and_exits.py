"""Hostile input: text shown never obeyed, every cost bounded, nothing lost,
every exit clean. Run through the installed program, as a user would, unless a unit is named."""

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attncli import commands, limits, loader
from attncli.errors import AttncliError, UsageError
from attncli.safe_text import is_safe, visible

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
HOSTILE = CORPUS / "escape_sequences.yaml"

# What no output may carry from a file: C0 (but LF and TAB), DEL, C1, bidi controls, lone surrogates,
# and the noncharacters XML refuses.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
                 "\ufffe\uffff]")
SGR = re.compile("\x1b\\[[0-9;]*m")  # colour and bold, which attncli itself writes in colour mode


def attncli():
    return shutil.which("attncli") or str(Path(sys.executable).parent / "attncli")


def run(*args, env=None, **kwargs):
    return subprocess.run([attncli(), *args], capture_output=True, timeout=120,
                          env={**os.environ, **(env or {})}, **kwargs)


def raw_controls(data: bytes, colour: bool = False) -> list[str]:
    text = data.decode("utf-8", "surrogateescape")
    if colour:
        text = SGR.sub("", text)
    return RAW.findall(text)


# ---- 1. one sanitising boundary --------------------------------------------------------------

@pytest.mark.parametrize("raw, shown", [
    ("a\x1b]52;c;x\x07b", "a\\x1b]52;c;x\\x07b"),
    ("\x1b[2J", "\\x1b[2J"),
    ("\x08\r\x0b\x0c\x7f", "\\x08\\r\\x0b\\x0c\\x7f"),
    ("\x9b31m\x85", "\\x9b31m\\x85"),
    ("\u202egnp.exe\u202c", "\\u202egnp.exe\\u202c"),
    ("\u2066x\u2069\u200f", "\\u2066x\\u2069\\u200f"),
    ("a\nb\tc", "a\\nb\\tc"),
    ("file\udcff.yaml", "file\\xff.yaml"),
    ("dog, 猫, кот, 🐕‍🦺, é", "dog, 猫, кот, 🐕‍🦺, é"),
])
def test_visible_shows_every_class_and_keeps_letters(raw, shown):
    assert visible(raw) == shown
    assert is_safe(shown)


def test_visible_keeps_lines_and_tabs_of_a_description():
    assert visible("one\n\ttwo\x1b", multiline=True) == "one\n\ttwo\\x1b"


@given(st.text(alphabet=st.characters(blacklist_categories=())))
def test_visible_leaves_nothing_raw_and_is_idempotent(text):
    shown = visible(text)
    assert RAW.search(shown) is None and "\n" not in shown and "\t" not in shown
    assert visible(shown) == shown
    assert visible(text, multiline=True).replace("\n", "").replace("\t", "") == \
        visible(text.replace("\n", "").replace("\t", ""))


def test_is_safe_agrees_with_the_definition_on_every_code_point():
    """The printable fast path skips the search only where the definition finds nothing to escape."""
    single_line_raw = re.compile("[\t\n]|" + RAW.pattern)  # RAW keeps LF and TAB, as a description does
    for code in range(0x110000):
        char = chr(code)
        assert is_safe(f"a{char}b") == (single_line_raw.search(char) is None), hex(code)
        assert is_safe(f"a{char}b", multiline=True) == (RAW.search(char) is None), hex(code)


OUTPUTS = [
    ("explain", "FILE"),
    ("explain", "FILE", "--no-color"),
    ("explain", "FILE", "-f", "markdown"),
    ("explain", "FILE", "-f", "json"),
    ("explain", "FILE", "--focus", "0", "--tiled"),
    ("explain", "FILE", "--focus", "nobody"),
    ("explain", "FILE", "--head", "nobody"),
    ("explain", "FILE", "--focus", "0", "-f", "markdown"),
    ("compare", "FILE", "--no-scale"),
    ("compare", "FILE", "--no-scale", "-f", "markdown"),
    ("compare", "FILE", "--no-scale", "-f", "json"),
    ("validate", "FILE"),
    ("explain", "FILE", "--export", "out.svg"),
    ("explain", "FILE", "--export", "out.html"),
    ("explain", "FILE", "--export", "out.txt"),
    ("explain", "FILE", "--export", "out.md"),
    ("explain", "FILE", "--export", "out.json"),
    ("compare", "FILE", "--no-scale", "--export", "out.md"),
]


@pytest.mark.parametrize("colour", ["NO_COLOR", "FORCE_COLOR"])
@pytest.mark.parametrize("args", OUTPUTS, ids=" ".join)
def test_no_control_character_from_a_file_reaches_any_output(args, colour, tmp_path):
    name = "evil\x1b]0;t\x07\u202e.yaml"  # the file name is hostile too
    shutil.copy(HOSTILE, tmp_path / name)
    env = {"NO_COLOR": "1"} if colour == "NO_COLOR" else {"FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"}
    done = run(*[name if a == "FILE" else a for a in args], cwd=tmp_path, env=env)
    assert done.returncode in (0, 2), done.stderr
    assert b"Traceback" not in done.stderr
    assert raw_controls(done.stdout, colour == "FORCE_COLOR") == []
    assert raw_controls(done.stderr, colour == "FORCE_COLOR") == []
    for path in tmp_path.glob("out.*"):
        assert raw_controls(path.read_bytes()) == []
    if "out.svg" in args:
        ET.parse(tmp_path / "out.svg")  # well-formed XML: a raw ESC would make it invalid


def test_markdown_table_rows_stay_whole(tmp_path):
    shutil.copy(HOSTILE, tmp_path / "e.yaml")
    done = run("explain", "e.yaml", "-f", "markdown", cwd=tmp_path)
    tables = [block.splitlines() for block in done.stdout.decode().split("\n\n") if block.startswith("|")]
    assert tables and any("| **a\\|te\\\\nx** |" in line for table in tables for line in table)
    for table in tables:  # every row of a table has the header's cells: no pipe or newline of a token split one
        assert len({len(re.findall(r"(?<!\\)\|", line)) for line in table}) == 1, table


def test_error_messages_show_a_hostile_file_name(tmp_path):
    for command in (b"explain", b"validate"):
        done = subprocess.run([attncli().encode(), command, b"no\x1b[2Jfile\xff"], capture_output=True,
                              cwd=tmp_path, timeout=60)
        assert done.returncode == 1 and b"Traceback" not in done.stderr
        assert raw_controls(done.stdout) == [] and raw_controls(done.stderr) == []
        assert b"no\\x1b[2Jfile\\xff" in done.stdout + done.stderr


# ---- 2. every cost bounded ------------------------------------------------------------------

def bounded(done, seconds, started, out_bytes):
    """A generous bound: catches the quadratic or unbounded path (minutes, gigabytes), not jitter."""
    assert time.monotonic() - started < seconds, "took too long"
    assert len(done.stdout) <= out_bytes


def test_text_alias_bomb_is_refused(tmp_path):
    token = "x" * 1000
    n = 1000
    (tmp_path / "b.yaml").write_text(f"tokens: [&t {token}" + ", *t" * (n - 1) + "]\nembeddings: ["
                                     + ", ".join(["[1]"] * n) + "]\nW_Q: [[1]]\nW_K: [[1]]\nW_V: [[1]]\n")
    for fmt in ("markdown", "json", "rich"):
        started = time.monotonic()
        done = run("explain", "b.yaml", "-f", fmt, cwd=tmp_path)
        bounded(done, 60, started, 0)
        assert done.returncode == 1 and b"characters of text; write the text out" in done.stderr


def test_aliased_heads_are_refused_quickly(tmp_path):
    (tmp_path / "h.yaml").write_text("embeddings: [[1]]\nheads: [&h {W_Q: [[1]], W_K: [[1]], W_V: [[1]]}"
                                     + ", *h" * 99_999 + "]\n")
    started = time.monotonic()
    done = run("validate", "h.yaml", cwd=tmp_path)
    bounded(done, 60, started, 1000)
    assert done.returncode == 1 and done.stdout.count(b"\n") == 2  # one problem, then the count


def test_the_largest_number_of_heads_runs(tmp_path):
    n = limits.max_heads()
    (tmp_path / "h.yaml").write_text("embeddings: [[1]]\nheads:\n" + "".join(
        f"  - {{W_Q: [[1]], W_K: [[1]], W_V: [[{i % 5}]]}}\n" for i in range(n)))
    started = time.monotonic()
    done = run("explain", "h.yaml", cwd=tmp_path)
    bounded(done, 90, started, 5_000_000)
    assert done.returncode == 0
    (tmp_path / "h.yaml").write_text((tmp_path / "h.yaml").read_text() + "  - {W_Q: [[1]], W_K: [[1]], W_V: [[1]]}\n")
    assert b"at most 256 heads" in run("explain", "h.yaml", cwd=tmp_path).stderr


def wide(path: Path, n_k: int) -> None:
    path.write_text("embeddings: [[1]]\nW_Q: [[1]]\nW_K: [[1]]\nW_V: [[1]]\nsource:\n  embeddings:\n"
                    + "".join(f"    - [{(i % 7) / 7:.3f}]\n" for i in range(n_k)))


def test_a_hand_calculation_over_too_many_keys_is_refused_up_front(tmp_path):
    wide(tmp_path / "w.yaml", limits.max_hand_keys() + 1)
    for flag in (["--focus", "0"], ["--tiled"]):
        started = time.monotonic()
        done = run("explain", "w.yaml", *flag, cwd=tmp_path)
        bounded(done, 60, started, 0)
        assert done.returncode == 2 and b"at most 2,000 keys" in done.stderr


def test_the_largest_hand_calculation_runs(tmp_path):
    wide(tmp_path / "w.yaml", limits.max_hand_keys())
    started = time.monotonic()
    done = run("explain", "w.yaml", "--focus", "0", "--tiled", cwd=tmp_path)
    bounded(done, 90, started, 10_000_000)
    assert done.returncode == 0


def test_json_and_markdown_past_the_output_limit_are_refused_before_writing(tmp_path):
    (tmp_path / "r.yaml").write_text("random: {seed: 1, tokens: 1150, d_model: 4}\n")  # 3·n² just under 4,000,000
    for args in (["compare", "r.yaml", "--no-scale", "-f", "json"], ["explain", "r.yaml", "-f", "json"],
                 ["explain", "r.yaml", "--precision", "12", "--export", "r.md"]):
        started = time.monotonic()
        done = run(*args, cwd=tmp_path)
        bounded(done, 90, started, 0)
        assert done.returncode == 1 and b"ATTNCLI_MAX_OUTPUT_BYTES" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.yaml"]


def test_output_within_the_limit_is_within_the_estimate(tmp_path):
    (tmp_path / "r.yaml").write_text("random: {seed: 1, tokens: 60, d_model: 4}\n")
    for fmt in ("json", "markdown"):
        small = run("explain", "r.yaml", "-f", fmt, cwd=tmp_path)
        assert small.returncode == 0
        limit = str(len(small.stdout) - 1)  # one byte less than the text: the estimate (an upper one) refuses
        assert run("explain", "r.yaml", "-f", fmt, cwd=tmp_path, env={limits.OUTPUT_ENV: limit}).returncode == 1


def test_complexity_refuses_a_size_the_memory_cannot_hold(monkeypatch):
    monkeypatch.setattr(limits, "available_memory", lambda: 2 * 2**30)
    started = time.monotonic()
    with pytest.raises(UsageError, match="GB at its peak"):
        commands.complexity(16384, 64, False, False)
    assert time.monotonic() - started < 5  # refused before measuring anything


def test_a_huge_file_limit_is_not_allocated(tmp_path):
    shutil.copy(CORPUS / "one_token_dk1.yaml", tmp_path / "s.yaml")
    done = run("explain", "s.yaml", cwd=tmp_path, env={limits.FILE_ENV: str(10**15)})
    assert done.returncode == 0, done.stderr
    done = run("explain", "-", input=(tmp_path / "s.yaml").read_bytes(), env={limits.FILE_ENV: str(10**15)})
    assert done.returncode == 0, done.stderr


# ---- 3. nothing lost ------------------------------------------------------------------------

def test_an_export_never_replaces_its_scenario(tmp_path):
    original = loader.builtin_text("dog_ate_dinner")
    (tmp_path / "lesson.md").write_text(original)
    os.symlink("lesson.md", tmp_path / "link.md")
    for source, target in [("lesson.md", "lesson.md"), ("./lesson.md", str(tmp_path / "lesson.md")),
                           ("link.md", "lesson.md"), ("lesson.md", "link.md")]:
        done = run("explain", source, "--export", target, cwd=tmp_path)
        assert done.returncode == 1 and b"is the scenario this was computed from" in done.stderr
        assert done.stdout == b""
        assert (tmp_path / "lesson.md").read_text() == original


def test_an_export_keeps_the_mode_and_writes_through_a_symlink(tmp_path):
    (tmp_path / "private.md").write_text("old")
    os.chmod(tmp_path / "private.md", 0o600)
    assert run("explain", "--export", "private.md", cwd=tmp_path).returncode == 0
    assert (tmp_path / "private.md").stat().st_mode & 0o777 == 0o600
    (tmp_path / "real.txt").write_text("old")
    os.symlink("real.txt", tmp_path / "link.txt")
    assert run("explain", "--export", "link.txt", cwd=tmp_path).returncode == 0
    assert (tmp_path / "link.txt").is_symlink() and "dog" in (tmp_path / "real.txt").read_text()


def test_devices_pipes_and_directories_are_never_replaced(tmp_path):
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "adir").mkdir()
    for args, kind in [(["new", "pipe.json", "--force"], b"a named pipe"), (["new", "adir"], b"a directory"),
                       (["new", "adir", "--force"], b"a directory"), (["explain", "--export", "pipe.json"], b"a named pipe")]:
        done = run(*args, cwd=tmp_path)
        assert done.returncode == 1 and kind in done.stderr and b"--force" not in done.stderr
    assert (tmp_path / "adir").is_dir() and not (tmp_path / "pipe.json").is_file()


# ---- 4. every exit clean --------------------------------------------------------------------

@pytest.mark.parametrize("args", [["explain"], ["explain", "-f", "json"], ["explain", "-f", "markdown"],
                                  ["show", "dog_ate_dinner"], ["schema"], ["validate", "dog_ate_dinner"]])
def test_output_errors_are_one_line(args):
    if os.path.exists("/dev/full"):
        with open("/dev/full", "w") as full:
            done = subprocess.run([attncli(), *args], stdout=full, stderr=subprocess.PIPE, timeout=60)
        assert done.returncode == 1 and done.stderr == b"Error: cannot write the output: No space left on device\n"
    done = subprocess.run(["sh", "-c", f'"{attncli()}" {" ".join(args)} >&-'], capture_output=True, timeout=60)
    assert done.returncode == 1 and done.stderr == b"Error: cannot write the output: standard output is closed\n"
    for reader in ("true", "head -c 1"):
        done = subprocess.run(["sh", "-c", f'"{attncli()}" {" ".join(args)} | {reader}'], capture_output=True,
                              timeout=60)
        assert done.stderr == b""  # a reader that went away is not an error to report


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize("args", [["explain", "--focus", "0"], ["explain", "-f", "markdown"], ["compare", "--no-scale"],
                                  ["explain", "HOSTILE", "--focus", "nobody"]])
def test_any_output_encoding_works(encoding, args):
    args = [str(HOSTILE) if a == "HOSTILE" else a for a in args]
    done = run(*args, env={"PYTHONIOENCODING": encoding})
    assert done.returncode in (0, 2) and b"Traceback" not in done.stderr
    done.stdout.decode(encoding)
    assert done.stdout or done.stderr.count(b"\n") == 1


def test_flag_numbers_in_other_scripts_are_usage_errors(tmp_path):
    for args in (["explain", "--precision", "３"], ["explain", "--temperature", "١"], ["explain", "--head", "²"],
                 ["compare", "--sweep-dk", "²"], ["explain", "--focus", "²"], ["explain", "--tiled", "--block", "２"],
                 ["new", "x.yaml", "--seed", "٣"]):
        done = run(*args, cwd=tmp_path)
        assert done.returncode == 2, args
        assert b"Traceback" not in done.stderr and done.stdout == b""


def test_undecodable_argv_is_a_usage_error(tmp_path):
    done = subprocess.run([attncli().encode(), b"new", b"s.yaml", b"--tokens", b"a \xff"], capture_output=True,
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and done.stderr == b"Error: --tokens: \\xff holds a control character, a noncharacter or a byte that is not UTF-8 text\n"
    assert list(tmp_path.iterdir()) == []


def test_columns_zero_still_prints():
    done = run("explain", env={"COLUMNS": "0"})
    assert done.returncode == 0 and b"dog" in done.stdout


def test_a_folder_named_like_a_builtin_does_not_hide_it(tmp_path):
    (tmp_path / "dog_ate_dinner").mkdir()
    assert run("explain", cwd=tmp_path).returncode == 0
    assert run("validate", "dog_ate_dinner", cwd=tmp_path).stdout == b"dog_ate_dinner: ok\n"


@pytest.mark.parametrize("delay", [0.05, 0.2, 0.4])
def test_ctrl_c_while_starting_exits_130_quietly(delay):
    proc = subprocess.Popen([attncli(), "explain", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    time.sleep(delay)  # not a timing assertion: Ctrl-C lands somewhere in start-up, wherever that is
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    if b"Traceback" in err:  # only where attncli cannot reach: Python's start-up, the generated script's imports
        assert b"/attncli/" not in err, err
    else:
        assert proc.returncode in (130, -signal.SIGINT), err


def test_sigterm_in_presenter_mode_gives_the_terminal_back():
    pty, termios, select = pytest.importorskip("pty"), pytest.importorskip("termios"), pytest.importorskip("select")
    master, slave = pty.openpty()
    proc = subprocess.Popen([attncli(), "explain", "--step"], stdin=slave, stdout=slave, stderr=slave,
                            env={**os.environ, "TERM": "xterm", "COLUMNS": "100", "LINES": "40"}, start_new_session=True)
    out, deadline = b"", time.monotonic() + 60
    while "→ next".encode() not in out and time.monotonic() < deadline:
        if select.select([master], [], [], 1)[0]:
            out += os.read(master, 65536)
    assert "→ next".encode() in out
    assert not termios.tcgetattr(slave)[3] & termios.ECHO  # presenter mode reads single keys
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 143
    while select.select([master], [], [], 0.5)[0]:
        try:
            out += os.read(master, 65536)
        except OSError:
            break
    assert termios.tcgetattr(slave)[3] & termios.ECHO
    assert b"\x1b[?1049l" in out and b"\x1b[?25h" in out and b"Traceback" not in out
    os.close(master)
    os.close(slave)


# ---- 5. the smaller lies --------------------------------------------------------------------

def test_a_temperature_that_overflows_is_the_flags_fault():
    for args in (["explain", "--temperature", "1e-320"], ["compare", "--temperature", "1e-320"]):
        done = run(*args)
        assert done.returncode == 2
        assert done.stderr == b"Error: --temperature 1e-320: dividing the scores by it overflows float64; use a temperature nearer 1\n"


def test_scores_near_the_largest_float_give_no_warnings(tmp_path):
    (tmp_path / "n.yaml").write_text("tokens: [a, b, c]\nembeddings: [[1.0e154, 0.8e154], [-0.9e154, 0.3e154], "
                                     "[0.9e154, -0.3e154]]\nW_Q: [[1, 0], [0, 1]]\nW_K: [[1, 0], [0, 1]]\nW_V: [[1, 0], [0, 1]]\n")
    for args in (["--no-scale", "--focus", "2"], ["--focus", "0", "--temperature", "0.9"], ["--tiled", "--focus", "1"]):
        done = run("explain", "n.yaml", *args, cwd=tmp_path)
        assert done.returncode == 0 and done.stderr == b"", done.stderr


def test_seeds_are_read_exactly(tmp_path):
    outputs = []
    for seed in ("99999999999999999999", "100000000000000000000"):
        (tmp_path / "s.yaml").write_text(f"random: {{seed: {seed}, tokens: 3, d_model: 2}}\n")
        outputs.append(run("explain", "s.yaml", "-f", "json", cwd=tmp_path).stdout)
    assert outputs[0] != outputs[1]


def _verdict(path: Path) -> str:
    try:
        commands.explain(str(path))
    except AttncliError:
        return "error"
    return "ok"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_validate_and_explain_agree(name):
    problems = loader.validate(str(CORPUS / name))
    assert ("error" if problems else "ok") == _verdict(CORPUS / name)
    assert ("error" if problems else "ok") == ("error" if EXPECTED[name] else "ok")


@pytest.mark.parametrize("failure, status, said", [
    (MemoryError(), 1, "Error: attncli ran out of memory; try a smaller scenario, or lower the limits in the README\n"),
    (OSError(errno.ENOSPC, "No space left on device"), 1, "Error: cannot write the output: No space left on device\n"),
    (BrokenPipeError(errno.EPIPE, "Broken pipe"), 1, ""),
    (KeyboardInterrupt(), 130, ""),
])
def test_the_process_ends_in_one_place(failure, status, said, monkeypatch, capsys):
    from attncli import entry

    def fail():
        raise failure

    monkeypatch.setattr(entry, "_silence_stdout", lambda: None)  # pytest's captured stdout has no descriptor to redirect
    assert entry.run(fail) == status
    assert capsys.readouterr().err == said


def test_validate_stops_at_a_hundred_problems(tmp_path):
    (tmp_path / "k.yaml").write_text("".join(f"k{i}: 1\n" for i in range(100_000)))
    started = time.monotonic()
    done = run("validate", "k.yaml", cwd=tmp_path)
    bounded(done, 60, started, 100_000)
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 101 and lines[-1] == "k.yaml: 100 problems, and validate stopped reading there; fix these, then validate again"


@given(st.one_of(st.from_regex(r"[-+]?[0-9_]{0,4}(\.[0-9_]{0,3})?([eE][-+]?[0-9]{1,3})?", fullmatch=True),
                 st.text(alphabet="0123456789+-._:eEx", max_size=8)))
def test_the_fast_resolver_gives_pyyaml_tags(value):
    import yaml
    from yaml.nodes import ScalarNode

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)("")
    fast = loader.safe_loader_class()("")
    for implicit in ((True, False), (False, True)):
        assert fast.resolve(ScalarNode, value, implicit) == base.resolve(ScalarNode, value, implicit)
