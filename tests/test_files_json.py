"""The one JSON reader (files.read_json / parse_json): every way a JSON file can be bad is one line that
names the file, and the line where it is known; never a traceback, in bounded time."""

import json

import pytest
from typer.testing import CliRunner

from attncli.cli import app
from attncli.errors import AttncliError
from attncli.files import parse_json, read_json

runner = CliRunner()


def refusal(text: str, **kwargs) -> str:
    with pytest.raises(AttncliError) as caught:
        parse_json(text, "f.json", **kwargs)
    return str(caught.value)


@pytest.mark.parametrize("text, message", [
    ("[1,\n2", "f.json:2: not valid JSON: Expecting ',' delimiter"),
    ("[" * 100_000 + "]" * 100_000, "f.json:1: not readable JSON: lists or objects nested too deeply inside each other"),
    ('{"a":\n' * 50_000, "f.json:500: not readable JSON: lists or objects nested too deeply inside each other"),
    ('{"a":\n' + "1" * 5000 + "}", "f.json:2: a number with 5,000 digits is too large"),
    ('{"a":\n-' + "1" * 301 + "}", "f.json:2: a number with 301 digits is too large"),
    ('{"s": "1e400",\n "x": 1e400}', "f.json:2: 1e400 is too large for a number"),
    ("[\n-1.5e999]", "f.json:2: -1.5e999 is too large for a number"),
    ('{"x":\nNaN}', "f.json:2: NaN is not a number JSON allows"),
    ("[1, Infinity]", "f.json:1: Infinity is not a number JSON allows"),
    ("[-Infinity]", "f.json:1: -Infinity is not a number JSON allows"),
])
def test_every_failure_of_json_is_one_line_naming_the_file_and_line(text, message):
    assert refusal(text) == message


def test_a_long_number_is_named_by_its_length_not_repeated():
    message = refusal("[" + "9" * 1_000_000 + "e9]")
    assert len(message) < 100 and "1,000,002 characters" in message


def test_numbers_as_text_hands_out_of_range_numbers_to_the_caller():
    doc = parse_json('[NaN, -Infinity, 1e400, ' + "7" * 400 + ', 1.5, 3, ' + "1" * 300 + "]", "f.json",
                     numbers_as_text=True)
    assert doc[:4] == ["NaN", "-Infinity", "1e400", "7" * 400]
    assert doc[4:6] == [1.5, 3] and doc[6] == int("1" * 300)


def test_numbers_within_range_are_read_exactly():
    assert parse_json('{"a": [1e308, -2.5e-320, 0, 123]}', "f.json") == {"a": [1e308, -2.5e-320, 0, 123]}


def test_read_json_bounds_the_size_and_refuses_what_is_not_utf8(tmp_path):
    big = tmp_path / "big.json"
    big.write_text("[" + "0," * 600 + "0]", encoding="utf-8")
    with pytest.raises(AttncliError, match=r"big.json: the file is larger than 1,000 bytes"):
        read_json(str(big), 1000)
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"a":\n"caf\xe9"}')
    with pytest.raises(AttncliError, match=r"latin.json:2: not UTF-8 text \(byte 0xe9\)"):
        read_json(str(latin))
    with pytest.raises(AttncliError, match=r"missing.json: no such file"):
        read_json(str(tmp_path / "missing.json"))
    with pytest.raises(AttncliError, match=r": is a directory, not a file"):
        read_json(str(tmp_path))


def test_read_json_reads_a_good_file(tmp_path):
    path = tmp_path / "ok.json"
    path.write_text('\ufeff{"model_type": "bert", "eps": 1e-12}', encoding="utf-8")
    assert read_json(str(path)) == {"model_type": "bert", "eps": 1e-12}
