"""Real heads: pretrained models run in NumPy, every head's steps kept, behind one interface.

    model = load_model(ref)        # None/"minilm": the BERT encoder; "smollm2" or a .gguf file: a Llama decoder
    run = model.run(text)          # a ModelRun, the same type for both
    run.weights                    # (layers, heads, n, n) attention weights; run.tokens: the n tokens
    run.causal                     # True for a decoder (its first token is the BOS token)
    run.head(layer, head).steps    # one head's core.HeadSteps (with q_raw, k_raw, rope_base in a decoder)

weights_and_tokens(text, ref) is the short form. Importing this package is light (NumPy only):
safetensors, tokenizers, gguf and huggingface_hub are imported when a model is loaded.
"""

from attncli.pretrained.forward import HeadRun, LayerRun, ModelRun
from attncli.pretrained.load import Model, load_model, run_text, weights_and_tokens
from attncli.pretrained.locate import DEFAULT_NAME, INSTALL_EXTRA, INSTALL_WEIGHTS
from attncli.pretrained.patterns import (KINDS, HeadPattern, LinkScore, clearest_head, head_pattern, label_head,
                                         link_ranking, token_index)
from attncli.pretrained.scenario_out import head_evaluation, head_scenario, head_scenario_yaml

__all__ = [
    "DEFAULT_NAME", "INSTALL_EXTRA", "INSTALL_WEIGHTS", "KINDS", "HeadPattern", "HeadRun", "LayerRun",
    "LinkScore", "Model", "ModelRun", "clearest_head", "head_evaluation", "head_pattern", "head_scenario",
    "head_scenario_yaml", "label_head", "link_ranking", "load_model", "run_text", "token_index", "weights_and_tokens",
]
