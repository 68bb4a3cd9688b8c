"""The `attncli` command: Ctrl-C while the command line's modules load ends as quietly as later on.

While they load, Ctrl-C is only noted (an interrupt inside an import can surface as a traceback, or
be swallowed by the import machinery); once they have loaded, a noted Ctrl-C exits 130 and later
ones are handled by cli.main. What runs before this function (Python's own start-up and the
generated `attncli` script's first imports) is out of attncli's reach.
"""


def main() -> None:
    import _signal  # the C module, already loaded: `signal` itself takes an interruptible moment to import

    interrupted: list[int] = []
    previous = _signal.signal(_signal.SIGINT, lambda signum, frame: interrupted.append(signum))
    try:
        from attncli.cli import main as run
    finally:
        _signal.signal(_signal.SIGINT, previous)
    if interrupted:
        raise SystemExit(130)
    run()
