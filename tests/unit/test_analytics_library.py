"""The analytics library's header format and parameter coercion (no servers)."""

from __future__ import annotations

import pytest

from core.errors import Invalid
from graph.analytics import HeaderError, library, parse_query

GOOD = """// @purpose Count things.
//   Over two lines.
// @param prefix: str = ""  a prefix
// @param limit: int = 20  rows
// @param ids: list[int] = [1, 2]  some ids
// @param since: int? = null  optional
// @param who: int  required one
// @column n: int  how many
MATCH (u:User) WHERE u.name STARTS WITH $prefix AND u.id IN $ids AND ($since IS NULL OR u.at > $since)
  AND u.id <> $who
RETURN count(u) AS n LIMIT $limit
"""


def test_header_is_parsed() -> None:
    query = parse_query("count", GOOD)
    assert query.purpose == "Count things. Over two lines."
    assert [(p.name, p.type, p.default, p.required) for p in query.params] == [
        ("prefix", "str", "", False),
        ("limit", "int", 20, False),
        ("ids", "list[int]", [1, 2], False),
        ("since", "int?", None, False),
        ("who", "int", None, True),
    ]
    assert [(c.name, c.type, c.description) for c in query.columns] == [("n", "int", "how many")]


def test_bind_fills_defaults_and_coerces_command_line_strings() -> None:
    query = parse_query("count", GOOD)
    assert query.bind({"who": "7", "ids": "3, 4", "since": "null"}) == {
        "prefix": "",
        "limit": 20,
        "ids": [3, 4],
        "since": None,
        "who": 7,
    }
    assert query.bind({"who": 1, "ids": "[5]", "limit": 3})["ids"] == [5]
    with pytest.raises(Invalid, match="needs --param who"):
        query.bind({})
    with pytest.raises(Invalid, match="no parameter"):
        query.bind({"who": 1, "other": 2})
    with pytest.raises(Invalid, match="must be int"):
        query.bind({"who": "x"})
    with pytest.raises(Invalid, match="cannot be null"):
        query.bind({"who": "null"})
    with pytest.raises(Invalid):
        query.bind({"who": 1.5})


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("// @column n: int  x\nRETURN 1 AS n", "no // @purpose"),
        ("// @purpose p\nRETURN 1 AS n", "no // @column"),
        ("// @purpose p\n// @column n: int\nRETURN $x AS n", "used but not declared"),
        ("// @purpose p\n// @param x: int = 1\n// @column n: int\nRETURN 1 AS n", "declared but not used"),
        ("// @purpose p\n// @param x: date = 1\n// @column n: int\nRETURN $x AS n", "unknown type"),
        ('// @purpose p\n// @param x: int = "a"\n// @column n: int\nRETURN $x AS n', "does not match"),
        ("// @purpose p\n// @param x: int = nope\n// @column n: int\nRETURN $x AS n", "not JSON"),
        ("// @purpose p\n// @colour n: int\nRETURN 1 AS n", "unknown header tag"),
    ],
)
def test_bad_headers_are_refused(text: str, problem: str) -> None:
    with pytest.raises(HeaderError, match=problem):
        parse_query("q", text)


def test_every_library_file_has_a_valid_header() -> None:
    queries = library()
    assert len(queries) >= 9
    for query in queries.values():
        assert query.purpose and query.columns
        for param in query.params:
            assert param.description, f"{query.name}: ${param.name} has no description"
