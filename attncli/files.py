"""Reading and writing the user's files safely: reads bounded by a limit, writes whole or not at all, and
never over something that must survive."""

from __future__ import annotations

import errno
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


def check_reads_back(text: str, origin: str, limit: int | None = None) -> None:
    """Refuse, before writing, text larger than attncli would read back (the file limit by default)."""
    from attncli.limits import FILE_ENV, max_file_bytes

    limit = max_file_bytes() if limit is None else limit
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise AttncliError(f"this would be a file of {size:,} bytes, and attncli reads files of at most {limit:,}; "
                           f"nothing was written: use a shorter text, or raise the limit with {FILE_ENV}=<bytes> "
                           "when writing and when reading it", origin=origin)


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


def read_text(path: str, limit: int | None = None, *, what: str = "a file", origin: str | None = None) -> str:
    """The UTF-8 text of a file of at most `limit` bytes (default the file limit), or one AttncliError
    naming origin (default the path); what the file should be, for a directory given instead."""
    from attncli import limits

    limit = limits.max_file_bytes() if limit is None else limit
    origin = path if origin is None else origin
    if os.path.isdir(path):
        raise AttncliError(f"is a directory, not {what}", origin=origin)
    try:
        with open(path, "rb") as f:
            data = read_at_most(f, limit)
    except FileNotFoundError:
        raise AttncliError("no such file", origin=origin) from None
    except OSError as e:
        raise AttncliError(f"cannot read the file: {e.strerror or e}", origin=origin) from None
    return decode(data, origin, limit)


def read_json(path: str, limit: int | None = None, *, numbers_as_text: bool = False, object_pairs_hook=None):
    """The JSON document in a file (bounded as read_text), or one AttncliError naming the file and line."""
    return parse_json(read_text(path, limit), path, numbers_as_text=numbers_as_text,
                      object_pairs_hook=object_pairs_hook)


# Characters json.dumps(ensure_ascii=False) leaves raw that a terminal obeys or reorders (C1 controls, bidi
# controls, line separators), that are not text (lone surrogates) or that XML refuses (U+FFFE, U+FFFF).
# JSON's \uXXXX escape writes each inside a string, the only place they can be.
_JSON_UNSAFE = "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"


def json_chunks(document, indent: int | None = 2):
    """Strict JSON text of document, chunk by chunk (no second copy of a large document): a NaN is
    refused, and every character `_JSON_UNSAFE` names is written as an escape, so the text can be
    printed to a terminal as it is, and json reads back the same document."""
    import json
    import re

    unsafe = re.compile(_JSON_UNSAFE)
    escape = lambda m: f"\\u{ord(m.group()):04x}"

    def safe(text: str) -> str:
        return text if text.isascii() and "\x7f" not in text else unsafe.sub(escape, text)

    batch: list[str] = []  # the encoder's chunks are a few characters each: checked thousands at a time
    for chunk in json.JSONEncoder(indent=indent, ensure_ascii=False, allow_nan=False).iterencode(document):
        batch.append(chunk)
        if len(batch) >= 8192:
            yield safe("".join(batch))
            batch.clear()
    yield safe("".join(batch))


def json_text(document, indent: int | None = 2) -> str:
    """json_chunks joined."""
    return "".join(json_chunks(document, indent))


class _BadNumber(Exception):
    """Raised from inside json's number hooks: the number's text and why it is refused."""


def parse_json(text: str, origin: str, *, numbers_as_text: bool = False, object_pairs_hook=None):
    """JSON text as Python values, or one AttncliError naming origin and, where known, the line.

    Every way json.loads can fail becomes that one error: a syntax error, nesting deeper than the
    interpreter's recursion allows, an integer too long to convert. Numbers JSON does not allow
    (NaN, Infinity) or that overflow a float (1e400, an integer of 301 digits) are refused too; with
    numbers_as_text they arrive as their text instead, for a caller that judges each value
    (an answer file, where one bad answer must not lose the others).
    """
    from attncli.limits import max_number_digits
    from attncli.safe_text import clipped

    def constant(name: str):
        if numbers_as_text:
            return name
        raise _BadNumber(name, f"{name} is not a number JSON allows")

    def floating(literal: str):
        value = float(literal)
        if value - value == 0.0:  # finite
            return value
        if numbers_as_text:
            return literal
        raise _BadNumber(literal, f"{clipped(literal, 30)} is too large for a number")

    def integer(literal: str):
        if len(literal.lstrip("-")) <= max_number_digits():
            return int(literal)
        if numbers_as_text:
            return literal
        raise _BadNumber(literal, f"a number with {len(literal.lstrip('-')):,} digits is too large")

    import json

    try:
        return json.loads(text, parse_constant=constant, parse_float=floating, parse_int=integer,
                          object_pairs_hook=object_pairs_hook)
    except json.JSONDecodeError as e:
        raise AttncliError(f"not valid JSON: {e.msg}", origin=origin, line=e.lineno) from None
    except _BadNumber as e:
        literal, message = e.args
        raise AttncliError(message, origin=origin, line=_line_of_number(text, literal)) from None
    except RecursionError:
        raise AttncliError("not readable JSON: lists or objects nested too deeply inside each other",
                           origin=origin, line=_line_of_depth(text)) from None
    except (ValueError, OverflowError) as e:  # any other refusal of json's own
        raise AttncliError(f"not readable JSON: {clipped(str(e), 200)}", origin=origin) from None


def _line_of_number(text: str, literal: str) -> int | None:
    """The line of the first place the number stands as a value (not inside a string), where found."""
    import re

    match = re.search(r"(?:^|(?<=[\s,:\[]))" + re.escape(literal) + r"(?=[\s,\]}]|\Z)", text)
    return text.count("\n", 0, match.start()) + 1 if match else None


_DEEP = 500  # nesting at which the line is named: json refuses near the recursion limit (1,000)


def _line_of_depth(text: str) -> int | None:
    """The line where lists and objects first nest _DEEP levels, skipping strings; None if they never do."""
    import re

    depth = 0
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]', text):
        char = match.group()
        if char in "[{":
            depth += 1
            if depth >= _DEEP:
                return text.count("\n", 0, match.start()) + 1
        elif char in "]}":
            depth -= 1
    return None


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"))


def link_problem(path: str) -> str | None:
    """What is wrong with a symbolic link that leads nowhere (broken, or a loop), or None."""
    if not os.path.islink(path):
        return None
    try:
        os.stat(path)
    except FileNotFoundError:
        return f"is a broken link: it points to {os.readlink(path)!r}, which does not exist"
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "is a link that leads back to itself (a loop of links)"
        return None
    return None


def regular_file_size(path) -> int:
    """The size of the regular file at path, or one AttncliError saying what else is there (a broken
    link, a loop, a device, a pipe, a directory); FileNotFoundError when there is nothing."""
    origin = str(path)
    problem = link_problem(origin)
    if problem:
        raise AttncliError(problem, origin=origin)
    try:
        found = os.stat(origin)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise AttncliError(f"cannot read the file: {e.strerror or e}", origin=origin) from None
    if not stat.S_ISREG(found.st_mode):
        kind = next((name for test, name in _KINDS if test(found.st_mode)), "not a regular file")
        raise AttncliError(f"is {kind}, not a regular file; attncli reads only regular files", origin=origin)
    return found.st_size


def read_file_bounded(path, limit: int, env: str) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, or one AttncliError naming it.

    The file is examined before it is opened, so a device (a link to /dev/zero), a pipe, a directory
    or a file over the limit is refused without reading a byte; the read itself stops one byte past
    the limit, for a file that grows while it is read. A missing file raises FileNotFoundError, for
    the caller to say what was expected there. `env` names the variable that raises the limit.
    """
    origin = str(path)
    try:
        size = regular_file_size(origin)
        if size > limit:
            raise AttncliError(f"the file is {size:,} bytes, larger than {limit:,}; raise the limit with "
                               f"{env}=<bytes> if you mean it", origin=origin)
        with open(origin, "rb") as f:
            data = read_at_most(f, limit)
    except FileNotFoundError:
        raise
    except PermissionError:
        raise AttncliError("permission denied: cannot read the file", origin=origin) from None
    except OSError as e:
        raise AttncliError(f"cannot read the file: {e.strerror or e}", origin=origin) from None
    if len(data) > limit:
        raise AttncliError(f"the file grew past {limit:,} bytes while it was read; raise the limit with "
                           f"{env}=<bytes> if you mean it", origin=origin)
    return data


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


def make_folders(path: str) -> None:
    """The folder at path and any missing parents, made one level at a time in a loop: pathlib's and os's
    mkdir -p recurse once per level, so 1,000 levels (a 2,000-character path) end in a RecursionError."""
    missing, current = [], os.path.abspath(path)
    while not os.path.isdir(current) and os.path.dirname(current) != current:
        missing.append(current)
        current = os.path.dirname(current)
    for folder in reversed(missing):
        try:
            os.mkdir(folder)
        except FileExistsError:
            if not os.path.isdir(folder):
                raise


def check_writable(path: str) -> None:
    """Refuse a path where writing a regular file would replace something else (a device, a directory)."""
    kind = existing_kind(path)
    if kind not in (None, "a file"):
        detail = "give a file name to write" if kind == "a directory" else "attncli writes only regular files"
        raise AttncliError(f"is {kind}, not a regular file; {detail}", origin=path)


def write_atomic(path: str, text, *, protect: tuple[str, ...] = (),
                 protected: str = "the scenario this was computed from") -> None:
    """Write the whole file or nothing: a temporary file beside it, renamed into place.

    A symlink is written through (its target is replaced, the link stays); an existing file keeps
    its permissions; a device, directory or pipe is refused; so is any path in `protect` (the files
    a view was computed from, which `protected` names), compared as real files, so `./a.md` and a
    link to it count.
    `text` is a string, or a function that writes to the open file (a large document, streamed).
    """
    write_all_atomic([(path, text)], protect=protect, protected=protected)


def write_all_atomic(files, *, protect: tuple[str, ...] = (),
                     protected: str = "the scenario this was computed from") -> None:
    """Write every (path, text) of files, or none: each is written to a temporary file beside it first,
    and only when all are written are they renamed into place, so a disk that fills up part-way
    leaves no sheet without its key. Each path is checked as write_atomic checks it."""
    targets = [_target(path, protect, protected) for path, _ in files]
    staged: list[tuple[str, str, Path]] = []  # (path, temporary, target)
    path = files[0][0] if files else ""
    try:
        import tempfile  # only when writing: explain's start-up is measured

        for (path, text), target in zip(files, targets):
            fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            staged.append((path, temporary, target))
            try:
                f = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
            except BaseException:
                os.close(fd)
                raise
            with f:
                if callable(text):
                    text(f)
                else:
                    f.write(text)
            os.chmod(temporary, _mode_of(target))  # mkstemp makes it private; keep an existing file's, else the umask's
        for path, temporary, target in staged:
            os.replace(temporary, target)
    except OSError as e:
        raise AttncliError(f"cannot write: {e.strerror or e}", origin=path) from None
    except UnicodeEncodeError:
        raise AttncliError("cannot write: the text holds characters that are not Unicode text", origin=path) from None
    finally:
        for _, temporary, _ in staged:
            if os.path.exists(temporary):
                os.unlink(temporary)


def _target(path: str, protect: tuple[str, ...], protected: str) -> Path:
    """The real file a write to path replaces (through any symlink), once path is known to be writable."""
    check_writable(path)
    check_not_protected(path, protect, protected)
    target = Path(os.path.realpath(path))  # through any symlink, to the file that will be replaced
    if not target.parent.is_dir():
        where = (f"{str(target.parent)!r}, where the link points" if os.path.islink(path)
                 else repr(str(Path(path).parent)))
        raise AttncliError(f"cannot write: there is no directory {where}", origin=path)
    return target


def check_not_protected(path: str, protect: tuple[str, ...], protected: str) -> None:
    """Refuse a path that is, as a real file, one in `protect` (which `protected` names)."""
    for kept in protect:
        if _same_file(path, kept):
            raise AttncliError(f"is {protected}; attncli will not overwrite it: choose another file name",
                               origin=path)


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
