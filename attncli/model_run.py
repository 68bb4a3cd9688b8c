"""What `attncli.model` returns: a real model's run, its layers and heads, able to show themselves.

Apart from results.py so that `import attncli.results` does not import the model code: a notebook
pays for it when it runs a model. `.head(l, h).steps` is the public HeadSteps, labelled with the tokens.
"""

from __future__ import annotations

from attncli.pretrained import forward
from attncli.results import HeadSteps, _Shows, freeze
from attncli.views import View

MAX_REPR_TEXT = 60  # characters of the text a repr quotes


class HeadRun(_Shows, forward.HeadRun):
    """One real head on one text: `.steps` (a HeadSteps labelled with the tokens), its input `.x` and weight slices."""

    def view(self, full: bool = False, precision: int = 3) -> View:
        return self.steps.view(full, precision)

    def _about(self) -> str:
        n = self.x.shape[0]
        return f"{self.name}: layer {self.layer}, head {self.head}, {n} tokens, d_k = {self.steps.d_k}; .steps, .explain()"


class LayerRun(forward.LayerRun):
    """One encoder block of a real model: `.heads[h]`, and the hidden states around attention."""

    def __repr__(self) -> str:
        return (f"<LayerRun {self.index}: {len(self.heads)} heads, {self.x.shape[0]} tokens × {self.x.shape[1]}; "
                ".heads[h], .output>")


class ModelRun(_Shows, forward.ModelRun):
    """A real model's forward pass on a text: `.head(layer, head).steps`, `.weights`, and the gallery of every head."""

    @classmethod
    def of(cls, run: forward.ModelRun) -> "ModelRun":
        import dataclasses

        def head(h: forward.HeadRun) -> HeadRun:
            steps = HeadSteps.of(h.steps, run.tokens, run.tokens)
            return HeadRun(**{**{f.name: getattr(h, f.name) for f in dataclasses.fields(h)}, "steps": steps})

        def layer(lr: forward.LayerRun) -> LayerRun:
            fields = {f.name: getattr(lr, f.name) for f in dataclasses.fields(lr)}
            return LayerRun(**{**fields, "heads": tuple(head(h) for h in lr.heads)})

        fields = {f.name: getattr(run, f.name) for f in dataclasses.fields(run)}
        return freeze(cls(**{**fields, "layers": tuple(layer(lr) for lr in run.layers)}))

    @property
    def weights(self):
        """Every head's A, (n_layers, n_heads, n, n), as transformers' output_attentions stacked."""
        stacked = super().weights
        stacked.flags.writeable = False
        return stacked

    def view(self, full: bool = False, precision: int = 3) -> View:
        from attncli.views import gallery

        return gallery.of_run(self)  # what `attncli model TEXT` shows first

    def _about(self) -> str:
        from attncli.safe_text import visible

        text = visible(self.text)
        if len(text) > MAX_REPR_TEXT:
            text = text[:MAX_REPR_TEXT - 1] + "…"
        n_layers, n_heads = len(self.layers), len(self.layers[0].heads)
        return (f"{self.model} on {text!r}: {len(self.tokens)} tokens, {n_layers} layers × {n_heads} heads; "
                ".head(layer, head).steps, .weights, .explain()")
