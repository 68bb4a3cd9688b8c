"""attncli: learn the attention mechanism of transformers by computing it, one step at a time."""

__version__ = "0.1.0"
