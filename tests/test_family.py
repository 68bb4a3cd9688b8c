"""Cross-attention, heads with W_O, and every kind of mask: against a loop reference, and PyTorch if present."""

import json

import numpy as np
import pytest
import reference
from conftest import oracle
from typer.testing import CliRunner

from attncli.cli import app

runner = CliRunner()


def yaml_matrix(m):
    return "[" + ", ".join("[" + ", ".join(repr(float(x)) for x in row) + "]" for row in m) + "]"


def random_case(seed):
    """A random scenario of every kind, as YAML text and as the arrays it holds."""
    rng = np.random.default_rng(seed)
    n_q = int(rng.integers(1, 6))
    cross = bool(rng.integers(0, 2))
    n_k = int(rng.integers(1, 7)) if cross else n_q
    d_model, d_src = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    if not cross:
        d_src = d_model
    n_heads = int(rng.integers(1, 5))
    case = {"x": rng.standard_normal((n_q, d_model)), "heads": [], "cross": cross}
    text = f"embeddings: {yaml_matrix(case['x'])}\n"
    if cross:
        case["source"] = rng.standard_normal((n_k, d_src))
        text += f"source: {{embeddings: {yaml_matrix(case['source'])}}}\n"
    text += "heads:\n"
    for h in range(n_heads):
        d_k, d_v = int(rng.integers(1, 5)), int(rng.integers(1, 4))
        w = (rng.standard_normal((d_model, d_k)), rng.standard_normal((d_src, d_k)), rng.standard_normal((d_src, d_v)))
        case["heads"].append(w)
        text += f"  - {{W_Q: {yaml_matrix(w[0])}, W_K: {yaml_matrix(w[1])}, W_V: {yaml_matrix(w[2])}}}\n"
    if rng.integers(0, 2):
        case["w_o"] = rng.standard_normal((sum(w[2].shape[1] for w in case["heads"]), int(rng.integers(1, 4))))
        text += f"W_O: {yaml_matrix(case['w_o'])}\n"
    allowed = np.ones((n_q, n_k), bool)
    kind = ["none", "causal", "matrix", "padding"][int(rng.integers(0, 4))]
    if kind == "causal":
        allowed = np.tril(allowed)
        text += "mask: causal\n"
    elif kind == "matrix":
        allowed = rng.integers(0, 2, (n_q, n_k)).astype(bool)
        allowed[np.arange(n_q), rng.integers(0, n_k, n_q)] = True
        text += "mask: " + "[" + ", ".join("[" + ", ".join(str(int(a)) for a in row) + "]" for row in allowed) + "]\n"
    elif kind == "padding":
        pad = np.zeros(n_k, bool)
        pad[rng.integers(0, n_k)] = n_k > 1
        allowed = np.broadcast_to(~pad, (n_q, n_k)).copy()
        text += f"key_padding: [{', '.join(str(int(p)) for p in pad)}]\n"
    case["allowed"] = allowed
    case["kind"] = kind
    case["scaled"] = bool(rng.integers(0, 2))
    if not case["scaled"]:
        text += "scale: false\n"
    return text, case


def run(write, text, *args):
    result = runner.invoke(app, ["explain", write(text), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("seed", range(40))
def test_random_family_against_a_loop_reference(write, seed):
    text, case = random_case(seed)
    doc = run(write, text)
    assert doc["masked"] is (case["kind"] != "none") and doc["scaled"] is case["scaled"]
    outputs = []
    for head, w in zip(doc["heads"], case["heads"]):
        _, weights, output = reference.attention(
            case["x"].tolist(), w[0].tolist(), w[1].tolist(), w[2].tolist(),
            source=case["source"].tolist() if case["cross"] else None, allowed=case["allowed"].tolist(),
            scaled=case["scaled"])
        np.testing.assert_allclose(head["weights"], weights, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(head["output"], output, rtol=1e-12, atol=1e-12)
        if case["kind"] != "none":
            hidden = ~case["allowed"]
            assert all(head["masked_scores"][i][j] is None for i, j in zip(*np.nonzero(hidden)))
            assert all(head["weights"][i][j] == 0.0 for i, j in zip(*np.nonzero(hidden)))
        outputs.append(np.array(output))
    concat = np.hstack(outputs)
    expected = concat @ case["w_o"] if "w_o" in case else concat
    np.testing.assert_allclose(doc["output"], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(40))
def test_random_family_against_pytorch(write, seed):
    torch = oracle("torch")
    F = torch.nn.functional
    text, case = random_case(seed)
    doc = run(write, text)
    x = torch.tensor(case["x"], dtype=torch.float64)
    kv = torch.tensor(case["source"], dtype=torch.float64) if case["cross"] else x
    outs = []
    for head, w in zip(doc["heads"], case["heads"]):
        q, k, v = (t @ torch.tensor(m, dtype=torch.float64) for t, m in ((x, w[0]), (kv, w[1]), (kv, w[2])))
        scale = None if case["scaled"] else 1.0  # torch's default scale is 1/sqrt(d_k)
        if case["kind"] == "causal":
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)
        elif case["kind"] == "none":
            out = F.scaled_dot_product_attention(q, k, v, scale=scale)
        else:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(case["allowed"]), scale=scale)
        np.testing.assert_allclose(head["output"], out.numpy(), rtol=1e-12, atol=1e-12)
        outs.append(out)
    concat = torch.cat(outs, dim=1)
    if "w_o" in case:
        concat = concat @ torch.tensor(case["w_o"], dtype=torch.float64)
    np.testing.assert_allclose(doc["output"], concat.numpy(), rtol=1e-12, atol=1e-12)


X2 = "embeddings: [[1, 2], [3, 4]]\n"
W2 = "W_Q: [[1], [2]]\nW_K: [[1], [2]]\nW_V: [[1], [2]]\n"


@pytest.mark.parametrize("text, message", [
    (X2 + "source: {embeddings: [[1, 2, 3]]}\n" + W2,
     ":4: W_K has 2 rows, but the source embeddings have d_model = 3 columns (W_K is d_model × d_k)"),
    (X2 + "heads:\n  - {W_Q: [[1], [2]], W_K: [[1], [2]], W_V: [[1], [2]]}\n  - {W_Q: [[1], [2]], W_K: [[1], [2]], W_V: [[1, 1], [2, 2]]}\n"
     "W_O: [[1], [2]]\n", ":5: W_O has 2 rows, but the heads' outputs concatenate to Σ d_v = 1 + 2 = 3 columns"),
    (X2 + W2 + "mask: [[1, 0, 1], [1, 1, 1]]\n", ":5: mask is 2×3, but it needs one row per query and one column per key: 2×2"),
    (X2 + W2 + "mask: [[1, 2], [1, 1]]\n", ":5: mask row 0 (line 5), column 1 should be 1 (may attend) or 0 (hidden), not '2'"),
    (X2 + W2 + "key_padding: [0, 0, 1]\n", ":5: key_padding has 3 entries, but there are 2 keys (one 0/1 per key)"),
    (X2 + "heads:\n  - {name: a, W_Q: [[1], [2]], W_K: [[1], [2]], W_V: [[1], [2]]}\n  - {name: a, W_Q: [[1], [2]], W_K: [[1], [2]], W_V: [[1], [2]]}\n",
     ":4: two heads are named 'a'; head names must differ"),
    (X2 + W2 + "heads: []\n", ":2: W_Q cannot be combined with heads: give every head its own W_Q, W_K and W_V"),
    (X2 + "heads:\n  - {W_Q: [[1], [2]], W_K: [[1], [2]]}\n", ":3: heads entry 0: missing key 'W_V' (d_model × d_v: turns each embedding into a value)"),
    (X2 + "heads:\n  - {W_Q: [[1], [2]], W_K: [[1], [2]], W_V: [[1], [2]], W_X: 1}\n", ":3: heads entry 0: unknown key 'W_X'; did you mean W_V?"),
    (X2 + "source: {tokens: [a, b], embeddings: [[1, 2]]}\n" + W2, ":2: there are 2 source tokens, but source embeddings has 1 row (one per token)"),
])
def test_family_shape_errors(write, text, message):
    path = write(text)
    result = runner.invoke(app, ["explain", path])
    assert result.exit_code == 1, result.output
    assert result.stderr == f"Error: {path}{message}\n"


def test_key_padding_that_hides_everything_names_the_query(write):
    path = write("tokens: [a, b]\n" + X2 + W2 + "key_padding: [1, 1]\n")
    result = runner.invoke(app, ["explain", path])
    assert result.exit_code == 1
    assert "the mask hides every key from query 'a' (row 0): softmax over no keys is 0/0" in result.stderr


def test_causal_cross_attention_aligns_upper_left(write):
    doc = run(write, "embeddings: [[1], [2]]\nsource: {embeddings: [[1], [2], [3]]}\nW_Q: [[1]]\nW_K: [[1]]\nW_V: [[1]]\nmask: causal\n")
    w = doc["heads"][0]["weights"]
    assert w[0][1] == w[0][2] == 0.0 and w[1][2] == 0.0 and w[1][1] > 0


@pytest.mark.parametrize("name", ["translation", "two_heads"])
@pytest.mark.parametrize("colour", [True, False])
def test_builtin_family_scenarios_explain_end_to_end(name, colour):
    env = {"FORCE_COLOR": "1", "NO_COLOR": None, "TERM": "xterm-256color"} if colour else {"NO_COLOR": "1"}
    result = runner.invoke(app, ["explain", name], color=colour, env=env)
    assert result.exit_code == 0, result.output
    assert ("\x1b[" in result.stdout) is colour
    if not colour:
        assert any(g in result.stdout for g in "░▒▓█")


def test_translation_aligns_across_word_order():
    doc = json.loads(runner.invoke(app, ["explain", "translation", "--format", "json"]).stdout)
    assert doc["cross_attention"] is True
    assert doc["query_tokens"] == ["the", "black", "cat"] and doc["key_tokens"] == ["le", "chat", "noir", "dort"]
    w = np.array(doc["heads"][0]["weights"])
    assert [doc["key_tokens"][j] for j in w.argmax(axis=1)] == ["le", "noir", "chat"]
    out = runner.invoke(app, ["explain", "translation", "--no-color"]).stdout
    assert "Cross-attention: each query (the, black, cat) looks at" in out


def test_two_heads_learn_different_patterns():
    doc = json.loads(runner.invoke(app, ["explain", "two_heads", "--format", "json"]).stdout)
    prev, kind = (np.array(h["weights"]) for h in doc["heads"])
    assert [h["name"] for h in doc["heads"]] == ["previous token", "same kind"]
    assert list(prev.argmax(axis=1)[1:]) == [0, 1, 2, 3, 4]  # each word looks one back
    assert kind[0, 4] == pytest.approx(kind[0, 0]) and kind[0, 4] > 0.4  # 'the' finds the other 'the'
    np.testing.assert_allclose(doc["output"], np.array(doc["concat"]) @ np.array([[1, 0], [0, 1], [0.5, 0], [0, 0.5]]))


def test_head_option():
    out = runner.invoke(app, ["explain", "two_heads", "--head", "same kind", "--no-color"]).stdout
    assert "Head 1: same kind" in out and "Head 0: previous token" not in out
    assert "Output = concat·W_O (6×2)" in out
    assert "Head 0: previous token" in runner.invoke(app, ["explain", "two_heads", "--head", "0", "--no-color"]).stdout
    for wrong in ("9", "2", "²", "-1"):
        result = runner.invoke(app, ["explain", "two_heads", "--head", wrong])
        assert result.exit_code == 2
        assert f"--head: no head {wrong!r}; the heads are 0 (previous token), 1 (same kind)" in result.stderr
