"""A real head written as an ordinary scenario: X as embeddings, the head's slices (and biases, RoPE and the
causal mask for a decoder)."""

from __future__ import annotations

import numpy as np

from attncli.pretrained.forward import ModelRun
from attncli.safe_text import clipped
from attncli.yaml_text import yaml_float, yaml_string

_KEY_ORDER = ("name", "description", "tokens", "embeddings", "W_Q", "b_Q", "W_K", "b_K", "W_V", "b_V",
              "mask", "scale", "rope")


def head_scenario(run: ModelRun, layer: int, head: int) -> dict:
    """The head LlayerHhead on run's text as a scenario mapping; explain reproduces its steps from it.

    An encoder's head: Q = X·W_Q + b_Q, and so for K and V. A decoder's (Llama): Q = X·W_Q with X the
    RMS-normed hidden state, then RoPE by position, the causal mask; W_K and W_V are its key/value head's.
    """
    h = run.head(layer, head)
    # Text is cut to what the reader takes (1,000 characters in a token or name, 10,000 in a description):
    # whatever attncli writes, attncli reads back.
    model, text = clipped(run.model, 200), clipped(run.text, 500)
    causal, rope_base = getattr(run, "causal", False), getattr(h, "rope_base", None)
    if causal:
        description = (f"Layer {layer}, head {head} (0-based) of {model} on {text!r}: the embeddings are the hidden "
                       f"state entering layer {layer} after its RMSNorm; Q = X·W_Q, K = X·W_K and V = X·W_V with "
                       f"W_K and W_V from key/value head {h.kv_head}, then q and k are rotated by position (RoPE, "
                       f"base {rope_base:g}) and each token sees only itself and the tokens before it (the causal "
                       "mask).")
    else:
        description = (f"Layer {layer}, head {head} (0-based) of {model} on {text!r}: the "
                       f"embeddings are the hidden state entering layer {layer}; Q = X·W_Q + b_Q, and so for K and V.")
    scenario = {"name": f"{model} {h.name}", "description": description,
                "tokens": [clipped(token, 900) for token in run.tokens], "embeddings": _floats(h.x)}
    for key, matrix, bias in (("Q", h.w_q, h.b_q), ("K", h.w_k, h.b_k), ("V", h.w_v, h.b_v)):
        scenario[f"W_{key}"] = _floats(matrix)
        if bias is not None:
            scenario[f"b_{key}"] = _floats(bias)
    scenario["mask"] = "causal" if causal else False
    scenario["scale"] = True
    if rope_base is not None:
        scenario["rope"] = {"base": float(rope_base)}
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
