"""A real head written as an ordinary scenario: X as embeddings, the head's slices and biases."""

from __future__ import annotations

import numpy as np

from attncli.pretrained.forward import ModelRun
from attncli.safe_text import clipped
from attncli.yaml_text import yaml_float, yaml_string

_KEY_ORDER = ("name", "description", "tokens", "embeddings", "W_Q", "b_Q", "W_K", "b_K", "W_V", "b_V",
              "mask", "scale")


def head_scenario(run: ModelRun, layer: int, head: int) -> dict:
    """The head LlayerHhead on run's text as a scenario mapping; Q = X·W_Q + b_Q reproduces its steps."""
    h = run.head(layer, head)
    # Text is cut to what the reader takes (1,000 characters in a token or name, 10,000 in a description):
    # whatever attncli writes, attncli reads back.
    model = clipped(run.model, 200)
    return {
        "name": f"{model} {h.name}",
        "description": (f"Layer {layer}, head {head} (0-based) of {model} on {clipped(run.text, 500)!r}: the "
                        f"embeddings are the hidden state entering layer {layer}; Q = X·W_Q + b_Q, and so for K and V."),
        "tokens": [clipped(token, 900) for token in run.tokens],
        "embeddings": _floats(h.x),
        "W_Q": _floats(h.w_q), "b_Q": _floats(h.b_q),
        "W_K": _floats(h.w_k), "b_K": _floats(h.b_k),
        "W_V": _floats(h.w_v), "b_V": _floats(h.b_v),
        "mask": False,
        "scale": True,
    }


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


def head_evaluation(h, tokens, model: str):
    """The head as explain would run it: a Scenario of X and its slices, evaluated by the same core."""
    from attncli import core
    from attncli.scenario import Scenario, Settings, evaluate

    f64 = lambda a: np.asarray(a, dtype=np.float64)  # float32 widens exactly
    weights = core.HeadWeights(h.name, f64(h.w_q), f64(h.w_k), f64(h.w_v), f64(h.b_q), f64(h.b_k), f64(h.b_v))
    sc = Scenario(name=f"{model} {h.name}", origin=f"{model} {h.name}", tokens=tuple(tokens), x=f64(h.x),
                  heads=(weights,), description=f"Layer {h.layer}, head {h.head} (from 0)")
    return evaluate(sc, Settings(scaled=True, causal=False))
