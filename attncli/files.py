"""Reading and writing the user's files safely: reads bounded by a limit, writes whole or not at all, and
never over something that must survive."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from attncli.errors import AttncliError

def read_at_most(f, limit: int) -> bytes:
    """Up to `limit` bytes and one more, read in chunks: a limit raised to a terabyte must not be
    allocated before a small file is read."""
    wanted, chunks = limit + 1, []
    while wanted > 0:
        chunk = f.read(min(wanted, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        wanted -= len(chunk)
    return b"".join(chunks)


def decode(data: bytes, origin: str, limit: int) -> str:
    """The text of what read_at_most read, or one AttncliError: too large, or not UTF-8."""
    from attncli.limits import FILE_ENV

    if len(data) > limit:
        raise AttncliError(f"the file is larger than {limit:,} bytes; raise the limit with {FILE_ENV}=<bytes> "
                           "if you mean it", origin=origin)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise AttncliError(f"not UTF-8 text (byte 0x{data[e.start]:02x}); save the file as UTF-8",
                           origin=origin, line=line) from None


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"))


def existing_kind(path: str) -> str | None:
    """What is at path, following symlinks: None (nothing), "a file", or what else it is."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as e:
        raise AttncliError(f"cannot write: {e.strerror or e}", origin=path) from None
    if stat.S_ISREG(mode):
        return "a file"
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def check_writable(path: str) -> None:
    """Refuse a path where writing a regular file would replace something else (a device, a directory)."""
    kind = existing_kind(path)
    if kind not in (None, "a file"):
        detail = "give a file name to write" if kind == "a directory" else "attncli writes only regular files"
        raise AttncliError(f"is {kind}, not a regular file; {detail}", origin=path)


def write_atomic(path: str, text, *, protect: tuple[str, ...] = ()) -> None:
    """Write the whole file or nothing: a temporary file beside it, renamed into place.

    A symlink is written through (its target is replaced, the link stays); an existing file keeps
    its permissions; a device, directory or pipe is refused; so is any path in `protect` (the file
    a view was computed from), compared as real files, so `./a.md` and a link to it count.
    `text` is a string, or a function that writes to the open file (a large document, streamed).
    """
    check_writable(path)
    for kept in protect:
        if _same_file(path, kept):
            raise AttncliError("is the scenario this was computed from; attncli will not overwrite it: "
                               "choose another file name", origin=path)
    target = Path(os.path.realpath(path))  # through any symlink, to the file that will be replaced
    parent = target.parent
    if not parent.is_dir():
        where = f"{str(parent)!r}, where the link points" if os.path.islink(path) else repr(str(Path(path).parent))
        raise AttncliError(f"cannot write: there is no directory {where}", origin=path)
    mode = _mode_of(target)
    fd, temporary = None, None
    try:
        import tempfile  # only when writing: explain's start-up is measured

        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            fd = None
            if callable(text):
                text(f)
            else:
                f.write(text)
        os.chmod(temporary, mode)  # mkstemp makes it private; keep an existing file's, else the umask's
        os.replace(temporary, target)
        temporary = None
    except OSError as e:
        raise AttncliError(f"cannot write: {e.strerror or e}", origin=path) from None
    except UnicodeEncodeError:
        raise AttncliError("cannot write: the text holds characters that are not Unicode text", origin=path) from None
    finally:
        if fd is not None:
            os.close(fd)
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare where they would be
        return os.path.realpath(a) == os.path.realpath(b)


def _mode_of(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
