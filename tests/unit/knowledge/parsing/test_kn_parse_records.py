"""CSV, JSON and JSON Lines: rows and elements become "key: value" records."""

from __future__ import annotations

import pytest

from knowledge.parsing import DocumentRejected, ParseLimits, parse_document


def test_csv_rows_are_records_with_column_names() -> None:
    data = b'name,age,city\nAnn,31,Paris\n\nBob,,Berlin\n"Li, Wei",40,"Bei\njing"\n'
    doc = parse_document(data, filename="people.csv", media_type="text/csv")
    assert [b.text for b in doc.blocks] == [
        "name: Ann; age: 31; city: Paris",
        "name: Bob; city: Berlin",
        "name: Li, Wei; age: 40; city: Bei jing",
    ]
    assert {b.kind for b in doc.blocks} == {"record"}


@pytest.mark.parametrize(
    ("data", "filename"),
    [(b"a;b\n1;2\n", "semi.csv"), (b"a\tb\n1\t2\n", "tabs.tsv"), (b"a|b\n1|2\n", "p.csv")],
)
def test_csv_dialects(data: bytes, filename: str) -> None:
    assert parse_document(data, filename=filename, media_type=None).text == "a: 1; b: 2"


def test_csv_extra_cells_get_column_numbers() -> None:
    doc = parse_document(b"a,b\n1,2,3\n", filename="x.csv", media_type=None)
    assert doc.text == "a: 1; b: 2; column 3: 3"


def test_json_array_of_objects() -> None:
    data = b'[{"id":1,"user":{"name":"Ann","tags":["a","b"]},"items":[{"x":1},{"x":2}]}, 5, null, true]'
    doc = parse_document(data, filename="d.json", media_type="application/json")
    assert [b.text for b in doc.blocks] == [
        "id: 1; user.name: Ann; user.tags: a, b; items[0].x: 1; items[1].x: 2",
        "5",
        "true",
    ]


def test_json_object_with_a_list_of_objects_makes_a_section() -> None:
    doc = parse_document(b'{"title":"T","docs":[{"a":1},{"a":2}]}', filename="d.json", media_type=None)
    assert [(b.heading_path, b.text) for b in doc.blocks] == [
        ((), "title: T"),
        (("docs",), "a: 1"),
        (("docs",), "a: 2"),
    ]


def test_jsonl_lines_are_records() -> None:
    doc = parse_document(b'{"a":1}\n\n{"b":[1,2]}\n', filename="d.jsonl", media_type=None)
    assert doc.format == "jsonl"
    assert [b.text for b in doc.blocks] == ["a: 1", "b: 1, 2"]


def test_json_sniffed_without_a_name() -> None:
    assert parse_document(b'{"k": "v"}', filename="", media_type=None).format == "json"
    assert parse_document(b'{"k": 1}\n{"k": 2}\n', filename="", media_type=None).format == "jsonl"


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "deep.json", "nested too deeply"),
        (b'{"a":' * 70 + b"1" + b"}" * 70, "deep2.json", "nested more than"),
        (b'{"a":1}\n{bad\n', "x.jsonl", "line 2"),
        (b'{"a":', "x.json", "not valid JSON"),
    ],
)
def test_bad_json_is_rejected(data: bytes, filename: str, reason: str) -> None:
    with pytest.raises(DocumentRejected, match=reason):
        parse_document(data, filename=filename, media_type=None)


def test_record_limit() -> None:
    with pytest.raises(DocumentRejected, match="rows"):
        parse_document(b"a\n1\n2\n3\n", filename="x.csv", media_type=None, limits=ParseLimits(max_records=2))


def test_json_lines_named_json_are_read_as_lines() -> None:
    doc = parse_document(b'{"a":1}\n{"a":2}\n', filename="x.json", media_type="application/json")
    assert doc.format == "jsonl"
    assert [b.text for b in doc.blocks] == ["a: 1", "a: 2"]
