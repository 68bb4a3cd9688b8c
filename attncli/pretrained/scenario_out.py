"""A real head written as an ordinary scenario: X as embeddings, the head's slices and biases."""

from __future__ import annotations

import numpy as np

from attncli.pretrained.forward import ModelRun

_KEY_ORDER = ("name", "description", "tokens", "embeddings", "W_Q", "b_Q", "W_K", "b_K", "W_V", "b_V",
              "mask", "scale", "rope")


def head_scenario(run: ModelRun, layer: int, head: int) -> dict:
    """The head LlayerHhead on run's text as a scenario mapping; explain reproduces its steps from it.

    An encoder's head: Q = X·W_Q + b_Q, and so for K and V. A decoder's (Llama): Q = X·W_Q with X the
    RMS-normed hidden state, then RoPE by position, the causal mask; W_K and W_V are its key/value head's.
    """
    h = run.head(layer, head)
    if run.causal:
        description = (f"Layer {layer}, head {head} (0-based) of {run.model} on {run.text!r}: the embeddings are "
                       f"the hidden state entering layer {layer} after its RMSNorm; Q = X·W_Q, K = X·W_K and "
                       f"V = X·W_V with W_K and W_V from key/value head {h.kv_head}, then q and k are rotated by "
                       f"position (RoPE, base {h.rope_base:g}) and each token sees only itself and the tokens "
                       "before it (the causal mask).")
    else:
        description = (f"Layer {layer}, head {head} (0-based) of {run.model} on {run.text!r}: the embeddings are "
                       f"the hidden state entering layer {layer}; Q = X·W_Q + b_Q, and so for K and V.")
    scenario = {"name": f"{run.model} {h.name}", "description": description, "tokens": list(run.tokens),
                "embeddings": _floats(h.x)}
    for key, matrix, bias in (("Q", h.w_q, h.b_q), ("K", h.w_k, h.b_k), ("V", h.w_v, h.b_v)):
        scenario[f"W_{key}"] = _floats(matrix)
        if bias is not None:
            scenario[f"b_{key}"] = _floats(bias)
    scenario["mask"] = "causal" if run.causal else False
    scenario["scale"] = True
    if h.rope_base is not None:
        scenario["rope"] = {"base": float(h.rope_base)}
    return scenario


def head_evaluation(run: ModelRun, layer: int, head: int):
    """The head as explain would run it: a Scenario of X and its slices (RoPE and the causal mask for a
    decoder), evaluated by the same core."""
    from attncli import core
    from attncli.scenario import Scenario, Settings, evaluate

    h = run.head(layer, head)
    f64 = lambda a: None if a is None else np.asarray(a, dtype=np.float64)  # float32 widens exactly
    weights = core.HeadWeights(h.name, f64(h.w_q), f64(h.w_k), f64(h.w_v), f64(h.b_q), f64(h.b_k), f64(h.b_v))
    sc = Scenario(name=f"{run.model} {h.name}", origin=f"{run.model} {h.name}", tokens=tuple(run.tokens),
                  x=f64(h.x), heads=(weights,), description=f"Layer {h.layer}, head {h.head} (from 0)",
                  causal=run.causal, rope=h.rope_base)
    return evaluate(sc, Settings(scaled=True, causal=run.causal))


def _floats(a: np.ndarray) -> list:
    return np.asarray(a, dtype=np.float64).tolist()  # float32 values widen exactly


def head_scenario_yaml(scenario: dict) -> str:
    """The scenario as YAML text: one matrix row per line, each number written so it reads back exactly."""
    lines = []
    for key in [k for k in _KEY_ORDER if k in scenario] + [k for k in scenario if k not in _KEY_ORDER]:
        value = scenario[key]
        if isinstance(value, list) and value and isinstance(value[0], list):
            lines.append(f"{key}:")
            lines.extend("  - " + _flow(row) for row in value)
        elif isinstance(value, dict):
            lines.append(f"{key}:")
            lines.extend(f"  {name}: {_scalar(item)}" for name, item in value.items())
        else:
            lines.append(f"{key}: {_scalar(value) if not isinstance(value, list) else _flow(value)}")
    return "\n".join(lines) + "\n"


def _flow(items: list) -> str:
    return "[" + ", ".join(_scalar(v) for v in items) + "]"


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (float, int)):
        return yaml_float(float(value))
    return yaml_string(str(value))


def yaml_float(x: float) -> str:
    """repr(x), which round-trips, with a '.0' added where YAML 1.1 would read 1e-05 as text."""
    text = repr(x)
    if not np.isfinite(x):
        raise ValueError(f"{text} cannot be written to a scenario")
    mantissa, e, exponent = text.partition("e")
    if e and "." not in mantissa:
        text = f"{mantissa}.0e{exponent}"
    return text


def yaml_string(text: str) -> str:
    """A double-quoted YAML scalar that reads back as text, whatever characters it holds."""
    out = []
    for c in text:
        code = ord(c)
        if c in '"\\':
            out.append("\\" + c)
        elif 0x20 <= code < 0x7F or (code >= 0xA0 and c.isprintable() and c not in _YAML_BREAKS_AND_BOM):
            out.append(c)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


_YAML_BREAKS_AND_BOM = {"\u2028", "\u2029", "\ufeff"}
