"""The painter's vocabulary as data (vocabulary.yaml) and an author's words of their own."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from storyscore.paint.procedural import CONCEPTS
from storyscore.paint.procedural.concepts import VOCABULARY, parse_vocabulary


def shipped() -> dict[str, object]:
    text = resources.files("storyscore.paint.procedural").joinpath("vocabulary.yaml").read_text()
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def test_the_shipped_vocabulary_is_the_painters() -> None:
    assert parse_vocabulary(shipped()) == VOCABULARY
    assert VOCABULARY.concepts == CONCEPTS
    assert {"volcano", "lava", "mist", "harbour"} <= {c.name for c in CONCEPTS}
    assert VOCABULARY.colours["red"] == "#d3262b"


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["concepts"]["place"].update({"fogbank": ["fog"]}), "'fog' names both"),
    (lambda d: d["concepts"].update({"smell": {"rose": []}}), "unknown category 'smell'"),
    (lambda d: d["colours"].update({"red": "red"}), "not #rrggbb"),
    (lambda d: d["compounds"].update({"ghost ship": ["ghost", "boats"]}), "unknown concepts ghost"),
    (lambda d: d.pop("natural"), "expected the keys"),
    (lambda d: d["concepts"]["place"].update({"moor": "heath"}), "expected a list of words"),
])
def test_a_damaged_vocabulary_says_what_is_wrong(change, message: str) -> None:  # type: ignore[no-untyped-def]
    data = shipped()
    change(data)
    with pytest.raises(ValueError, match=message):
        parse_vocabulary(data)
