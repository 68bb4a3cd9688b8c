"""The walkthrough's sentences that interpret numbers, on a scenario and on a real head, with and without a mask:
the cost of the scores, the variance before and after √d_k, the model's hint, and headings that nest."""

import re

import numpy as np
import pytest
from typer.testing import CliRunner

from attncli import commands
from attncli.cli import app
from attncli.numbers import fixed
from attncli.views import Paragraph

runner = CliRunner()
TOKENS = ("<|im_start|>", "The", "dog", "ate", "his", "dinner", "because", "he", "was", "hungry", ".")
CAUSAL = ("random: {seed: 0, tokens: [" + ", ".join(f'"{t}"' for t in TOKENS) + "], d_model: 4}\n"
          "mask: causal\n")
SPARSE = ("random: {seed: 1, tokens: [a, b, c, d], d_model: 4}\n"
          "mask: [[1, 0, 0, 0], [1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1]]\n")
NO_PADDING = "random: {seed: 2, tokens: [a, b, c], d_model: 4}\nkey_padding: [0, 0, 0]\n"
PRICE = "the price of attention."


def cost(view) -> str:
    page = next(p for p in view.pages if p.heading == "Cost")
    return page.blocks[0].text


def test_an_unmasked_head_meets_every_key():
    assert cost(commands.explain("dog_ate_dinner")) == (
        "Cost: 3 queries × 3 keys = 9 scores per head. Every query meets every key, so time grows as O(n²·d) and "
        f"the weights take O(n²) memory: {PRICE}")


def test_a_causal_head_counts_the_scores_its_mask_leaves(write):
    assert cost(commands.explain("dog_ate_dinner", mask=True)) == (
        "Cost: 3 queries × 3 keys = 9 scores per head, of which the causal mask leaves 6: n(n+1)/2 = 3·4/2. That count "
        "still grows as n², so even skipping the hidden ones the work grows as O(n²·d) and the weights take O(n²) "
        f"memory: {PRICE}")
    eleven = cost(commands.explain(write(CAUSAL)))
    assert eleven.startswith("Cost: 11 queries × 11 keys = 121 scores per head, of which the causal mask leaves 66: "
                             "n(n+1)/2 = 11·12/2.")
    assert "Every query meets every key" not in eleven


def test_another_mask_says_how_many_scores_it_leaves_and_that_all_are_computed(write):
    assert cost(commands.explain(write(SPARSE))) == (
        "Cost: 4 queries × 4 keys = 16 scores per head, of which the mask leaves 7. All 16 are computed before the "
        f"mask sets the hidden ones to -∞, so the work grows as O(n²·d) and the weights take O(n²) memory: {PRICE}")
    assert cost(commands.explain("translation", mask=True)) == (
        "Cost: 3 queries × 4 keys = 12 scores per head, of which the mask leaves 6. All 12 are computed before the "
        "mask sets the hidden ones to -∞, so the work grows as O(n_q·n_k·d) and the weights take O(n_q·n_k) memory: "
        f"{PRICE}")
    # Padding that hides no key is a mask that leaves every score: every query does meet every key.
    assert "Every query meets every key" in cost(commands.explain(write(NO_PADDING)))


def scale_lesson(view, head: int = 0, multi: bool = False) -> str:
    step = f"Step {head}." if multi else "Step "
    page = next(p for p in view.pages if p.heading.startswith(step) and "Scale" in p.heading)
    return next(b.text for b in page.blocks if isinstance(b, Paragraph) and b.role == "lesson")


def expected_variance_words(head: dict, scaled: bool = True) -> str:
    """The sentence, from the JSON's numbers alone: the variance of the scores the mask leaves."""
    scores = np.array(head["scores"])  # (n_q, n_k)
    allowed = np.array([[v is not None for v in row] for row in head["masked_scores"]])
    kept = scores[allowed]
    assert fixed(np.var(kept), 3) != fixed(np.var(scores), 3)  # the test tells the two apart
    hidden = allowed.size - allowed.sum()
    words = f"The {allowed.sum()} scores that the next step's mask leaves have variance {fixed(np.var(kept), 3)}"
    if scaled:
        words += f", and {fixed(np.var(kept / np.sqrt(head['d_k'])), 3)} after dividing by √{head['d_k']}"
    return words + f" (the {hidden} it hides are left out)."


@pytest.mark.parametrize("source", ["causal eleven", "dog_ate_dinner", "translation"])
def test_the_variance_counts_only_the_scores_the_mask_leaves(source, write):
    view = commands.explain(write(CAUSAL) if source == "causal eleven" else source, mask=True)
    head = view.document()["heads"][0]
    lesson = scale_lesson(view)
    assert expected_variance_words(head) in lesson
    assert "scenario" not in lesson
    unscaled = commands.explain(write(CAUSAL) if source == "causal eleven" else source, mask=True, scale=False)
    assert expected_variance_words(head, scaled=False) in scale_lesson(unscaled)


def test_without_a_mask_these_scores_are_every_score():
    view = commands.explain("dog_ate_dinner")
    head = view.document()["heads"][0]
    scores = np.array(head["scores"])
    assert (f"These scores have variance {fixed(np.var(scores), 3)}, and {fixed(np.var(scores / np.sqrt(2)), 3)} "
            "after dividing by √2.") in scale_lesson(view)


def test_a_real_decoder_heads_variance_leaves_out_what_its_causal_mask_hides(tmp_path):
    pytest.importorskip("gguf", reason="the model extra is not installed")
    pytest.importorskip("tokenizers", reason="the model extra is not installed")
    from tiny_llama import write_tiny_llama

    tiny = str(write_tiny_llama(tmp_path / "tiny.gguf", seed=5))
    view = commands.model("the dog ate his dinner because he was hungry", layer=1, head=3, model=tiny)
    lesson = scale_lesson(view)
    assert expected_variance_words(view.document()["heads"][0]) in lesson
    assert "scenario" not in lesson
    assert "of which the causal mask leaves" in cost(view)


def headings(markdown: str) -> list[int]:
    return [len(m.group(1)) for m in re.finditer(r"(?m)^(#+) ", markdown)]


def assert_nested(levels: list[int]) -> None:
    """One # at the top, and no heading more than one level below the one before it."""
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels


@pytest.mark.parametrize("args", [["dog_ate_dinner"], ["two_heads", "--focus", "cat"], ["translation", "--mask"],
                                  ["dog_ate_dinner", "--focus", "dog", "--tiled"]])
def test_explains_markdown_headings_nest(args):
    result = runner.invoke(app, ["explain", *args, "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert_nested(headings(result.stdout))
    assert "\n## Step 1: Project" in result.stdout or "\n### Step 0.1: Project" in result.stdout


def test_two_heads_steps_sit_under_their_heads_and_the_rest_under_the_title():
    out = runner.invoke(app, ["explain", "two_heads", "--format", "markdown"]).stdout
    assert "\n## Head 0: previous token (d_k = 6, d_v = 2)\n" in out and "\n### Step 0.1: Project" in out
    assert "\n## Step 6: Every head's weights at a glance\n" in out and "\n## Step 0: Inputs\n" in out


def test_a_models_markdown_puts_the_clearest_head_under_the_gallery(tmp_path):
    pytest.importorskip("gguf", reason="the model extra is not installed")
    pytest.importorskip("tokenizers", reason="the model extra is not installed")
    from tiny_llama import write_tiny_llama

    tiny = str(write_tiny_llama(tmp_path / "tiny.gguf", seed=5))
    text = "the dog ate his dinner because he was hungry"
    gallery = runner.invoke(app, ["model", text, "--model", tiny, "--format", "markdown"]).stdout
    assert_nested(headings(gallery))
    assert re.search(r"(?m)^## One head, step by step: L\d+H\d+\n", gallery)
    assert re.search(r"(?m)^### tiny.* L\d+H\d+\n", gallery) and "\n#### Step 0: Inputs\n" in gallery
    one = runner.invoke(app, ["model", text, "--model", tiny, "--layer", "1", "--head", "3", "--format",
                              "markdown"]).stdout
    assert_nested(headings(one))
    assert "\n## Step 1: Project" in one


def test_the_gallerys_hint_names_no_number_of_steps(tmp_path):
    pytest.importorskip("gguf", reason="the model extra is not installed")
    pytest.importorskip("tokenizers", reason="the model extra is not installed")
    from tiny_llama import write_tiny_llama

    tiny = str(write_tiny_llama(tmp_path / "tiny.gguf", seed=5))
    out = runner.invoke(app, ["model", "the dog ate", "--model", tiny, "--no-color", "--width", "200"]).stdout
    assert "One head step by step: attncli model TEXT --layer L --head H; which heads link two words: --link FROM TO" \
        in out
    assert "four steps" not in out
