"""Writing the user's files safely: whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from attncli.errors import AttncliError


def write_atomic(path: str, text: str) -> None:
    """Write the whole file or nothing: a temporary file beside it, renamed into place."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise AttncliError("is a directory; give a file name to write", origin=path)
    if not parent.is_dir():
        raise AttncliError(f"cannot write: there is no directory {str(parent)!r}", origin=path)
    fd, temporary = None, None
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            fd = None
            f.write(text)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; a saved file should not be
        os.replace(temporary, target)
        temporary = None
    except OSError as e:
        raise AttncliError(f"cannot write: {e.strerror or e}", origin=path) from None
    finally:
        if fd is not None:
            os.close(fd)
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
