"""Real heads: a pretrained BERT encoder run in NumPy, every head's four steps kept (issue 11).

Importing this package is light (NumPy only): safetensors, tokenizers and huggingface_hub are
imported when a model is loaded.
"""

from attncli.model.forward import HeadRun, LayerRun, ModelRun
from attncli.model.load import Model, load_model
from attncli.model.locate import DEFAULT_NAME, INSTALL_EXTRA, INSTALL_WEIGHTS
from attncli.model.patterns import KINDS, HeadPattern, LinkScore, head_pattern, label_head, link_ranking, token_index
from attncli.model.scenario_out import head_scenario, head_scenario_yaml

__all__ = [
    "DEFAULT_NAME", "INSTALL_EXTRA", "INSTALL_WEIGHTS", "KINDS", "HeadPattern", "HeadRun", "LayerRun",
    "LinkScore", "Model", "ModelRun", "head_pattern", "head_scenario", "head_scenario_yaml", "label_head",
    "link_ranking", "load_model", "token_index",
]
