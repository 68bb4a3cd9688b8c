"""Real heads: a pretrained BERT encoder run in NumPy, every head's four steps kept.

Importing this package is light (NumPy only): safetensors, tokenizers and huggingface_hub are
imported when a model is loaded.
"""

from attncli.pretrained.forward import HeadRun, LayerRun, ModelRun
from attncli.pretrained.load import Model, load_model, run_text
from attncli.pretrained.locate import DEFAULT_NAME, INSTALL_EXTRA, INSTALL_WEIGHTS
from attncli.pretrained.patterns import (KINDS, HeadPattern, LinkScore, clearest_head, head_pattern, label_head,
                                         link_ranking, token_index)
from attncli.pretrained.scenario_out import head_evaluation, head_scenario, head_scenario_yaml

__all__ = [
    "DEFAULT_NAME", "INSTALL_EXTRA", "INSTALL_WEIGHTS", "KINDS", "HeadPattern", "HeadRun", "LayerRun",
    "LinkScore", "Model", "ModelRun", "clearest_head", "head_evaluation", "head_pattern", "head_scenario", "head_scenario_yaml", "label_head",
    "link_ranking", "load_model", "run_text", "token_index",
]
