"""Real heads: a pretrained BERT encoder run in NumPy, every head's four steps kept (issue 11).

Importing this package is light: safetensors, tokenizers and huggingface_hub are imported only when
a model is loaded.
"""

from attncli.model.forward import HeadRun, LayerRun, ModelRun
from attncli.model.load import Model, load_model
from attncli.model.locate import DEFAULT_NAME, INSTALL_EXTRA, INSTALL_WEIGHTS

__all__ = ["DEFAULT_NAME", "INSTALL_EXTRA", "INSTALL_WEIGHTS", "HeadRun", "LayerRun", "Model", "ModelRun",
           "load_model"]
