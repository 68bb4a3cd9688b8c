"""The `attncli` process: the one place that decides how it ends.

Whatever happens, the user gets the view or one line: Ctrl-C exits 130 (also while the command
line's modules load); an output that cannot be written (a full disk, a closed stdout) is one line and
exit 1; a reader that went away (`| head`) exits 1 quietly; text the output's encoding cannot hold is
written as \\uXXXX escapes. What runs before main() (Python's own start-up and the generated `attncli`
script's first imports) is out of attncli's reach.
"""

import sys


def main() -> None:
    import _signal  # the C module, already loaded: `signal` itself takes an interruptible moment to import

    # While the modules load, Ctrl-C is only noted: an interrupt inside an import can surface as a
    # traceback, or be swallowed by the import machinery.
    interrupted: list[int] = []
    previous = _signal.signal(_signal.SIGINT, lambda signum, frame: interrupted.append(signum))
    try:
        from attncli.cli import app
    finally:
        _signal.signal(_signal.SIGINT, previous)
    if interrupted:
        raise SystemExit(130)
    sys.exit(run(app))


def run(app) -> int:
    """Run the Typer app; its exit status, whatever went wrong."""
    import errno
    import warnings

    _one_blas_thread()
    _prepare_streams()
    _terminal_size_from_environment()
    # Overflow inside a step (exp of a score far below the row's largest is 0) is expected; results
    # are checked for infinity and NaN where they are computed (scenario.evaluate), so NumPy's
    # warnings, with their internal paths, would only alarm.
    warnings.simplefilter("ignore", RuntimeWarning)
    try:
        _import_numpy_first()
        try:
            app()  # standalone: Click prints its usage errors; every way out is a SystemExit
            status = 0
        except SystemExit as done:
            status = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        sys.stdout.flush()  # here, not at interpreter exit, where a failure would be a traceback
        return status
    except KeyboardInterrupt:
        _silence_stdout()
        return 130
    except MemoryError:  # the limits should prevent it; if they did not, still one line
        _silence_stdout()
        _say("Error: attncli ran out of memory; try a smaller scenario, or lower the limits in the README\n")
        return 1
    except OSError as error:
        _silence_stdout()
        if error.errno == errno.EPIPE:
            return 1  # the reader has all it wanted: nothing to say
        what = error.strerror or str(error)
        _say(f"Error: cannot write the output: {what}\n")
        return 1


def _import_numpy_first() -> None:
    """Every command but help computes with NumPy: import it before Typer's call stack is built.

    Imported from deep inside that stack, NumPy's nested imports make CPython 3.11 map and unmap a
    16 KB chunk of its frame stack hundreds of times (about 25 ms; see docs/startup.md).
    """
    words = sys.argv[1:]
    if words and not words[0].startswith("-") and not {"-h", "--help"}.intersection(words):
        import numpy  # noqa: F401


class _ClosedOutput:
    """Stands in for a standard stream whose file descriptor was closed (`attncli ... >&-`)."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, text: str) -> int:
        import errno

        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        import io

        raise io.UnsupportedOperation("standard output is closed")


def _prepare_streams() -> None:
    """Any output encoding works: what it cannot hold is written as an escape, not a traceback."""
    if sys.stdout is None:
        sys.stdout = _ClosedOutput()
    if sys.stderr is None:
        import os

        sys.stderr = open(os.devnull, "w")
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _terminal_size_from_environment() -> None:
    """Forget a COLUMNS or LINES that is no terminal size: Rich converts any run of digits to a number,
    and 5,000 of them is a ValueError (Python refuses 4,300), so the real terminal's size is used instead."""
    import os

    for name in ("COLUMNS", "LINES"):
        value = os.environ.get(name)
        if value is not None and not (value.isascii() and value.isdigit() and len(value) <= 6):
            del os.environ[name]


def _silence_stdout() -> None:
    """After a failed write, send what is still buffered nowhere, so interpreter exit stays quiet."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _say(message: str) -> None:
    try:
        sys.stderr.write(message)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _one_blas_thread() -> None:
    """For `attncli model`, `generate`, `patterns` and `complexity` only: one BLAS thread, unless the user chose.

    A real model multiplies many small matrices (n × 384 by 384 × 32), where OpenBLAS's threads mostly
    wait for each other (benchmarks/model.py); complexity's clock is CPU time, which counts that waiting
    too (complexity.one_blas_thread). BLAS reads the variables once, when NumPy is first imported, so only here.
    """
    import os

    if len(sys.argv) > 1 and "numpy" not in sys.modules:
        if sys.argv[1] in ("model", "generate", "patterns"):
            os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        elif sys.argv[1] == "complexity":
            for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
                os.environ.setdefault(name, "1")
