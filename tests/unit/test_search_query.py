"""Search pieces that need no server: query parsing, request bodies, cursors, trending arithmetic."""

from __future__ import annotations

import math

import pytest

from core.errors import Invalid
from search import builders
from search.builders import TERMS_CHUNK, PostSort
from search.cursors import decode_sort, encode_sort
from search.documents import engagement, post_document
from search.query import MAX_TERMS, normalize_tag, normalize_username, parse_post_query
from search.trending import HALF_LIFE_MS, contribution_value, decayed


def test_hashtags_mentions_phrases_and_words_are_told_apart() -> None:
    parsed = parse_post_query('Rust #Async, "zero cost" @Ferris_Crab tips #async')
    assert parsed.words == "Rust tips"
    assert parsed.phrases == ["zero cost"]
    assert parsed.hashtags == ["async"]  # lower-cased, once, punctuation dropped as in posts
    assert parsed.mentions == ["ferris_crab"]


def test_what_is_not_a_tag_or_mention_stays_text() -> None:
    parsed = parse_post_query("# #123 @ab a@b.c")
    assert parsed.hashtags == [] and parsed.mentions == []
    assert parsed.words == "# #123 @ab a@b.c"


def test_an_empty_or_blank_query_is_empty() -> None:
    assert parse_post_query("   ").is_empty
    assert parse_post_query('""').is_empty
    assert not parse_post_query("#rust").is_empty and not parse_post_query("#rust").has_text


def test_terms_are_capped() -> None:
    parsed = parse_post_query(" ".join(f"#tag{i}" for i in range(50)))
    assert len(parsed.hashtags) == MAX_TERMS


@pytest.mark.parametrize(
    ("raw", "tag"), [("#Rust", "rust"), ("rust", "rust"), ("2024", None), ("a b", None), ("", None)]
)
def test_hashtag_normalisation(raw: str, tag: str | None) -> None:
    assert normalize_tag(raw) == tag


@pytest.mark.parametrize(
    ("raw", "name"), [("@Alice", "alice"), ("bob_1", "bob_1"), ("ab", None), ("a-b", None)]
)
def test_username_normalisation(raw: str, name: str | None) -> None:
    assert normalize_username(raw) == name


def test_visibility_filter_chunks_a_large_follow_list() -> None:
    followees = list(range(TERMS_CHUNK * 2 + 5))
    body = builders.post_search(
        parse_post_query("hello"), viewer_id=7, followee_ids=followees, blocked_ids=[1, 2]
    )
    visible = body["query"]["bool"]["filter"][0]["bool"]["should"]
    assert visible[0] == {"term": {"visibility": "public"}}
    assert visible[1] == {"term": {"author_id": 7}}
    chunks = [clause["bool"]["filter"][1]["terms"]["author_id"] for clause in visible[2:]]
    assert [len(c) for c in chunks] == [TERMS_CHUNK, TERMS_CHUNK, 5]
    assert all(clause["bool"]["filter"][0] == {"term": {"visibility": "followers"}} for clause in visible[2:])
    assert body["query"]["bool"]["must_not"] == [{"terms": {"author_id": [1, 2]}}]


def test_free_text_is_a_match_query_never_query_string_syntax() -> None:
    body = builders.post_search(
        parse_post_query('a:(b OR c) AND "d'), viewer_id=1, followee_ids=[], blocked_ids=[]
    )
    assert "query_string" not in str(body) and "simple_query_string" not in str(body)
    assert body["query"]["bool"]["must"][0]["match"]["content"]["operator"] == "and"


def test_sorts() -> None:
    def order(query: str, sort: PostSort = PostSort.relevance) -> list[dict[str, str]]:
        body = builders.post_search(
            parse_post_query(query), viewer_id=1, followee_ids=[], blocked_ids=[], sort=sort
        )
        result: list[dict[str, str]] = body["sort"]
        return result

    assert order("dogs") == [{"_score": "desc"}, {"post_id": "desc"}]
    assert order("dogs", PostSort.recent) == [{"post_id": "desc"}]
    assert order("#dogs") == [{"post_id": "desc"}]  # no text to rank by: newest first


def test_explore_excludes_the_viewer_and_keeps_its_origin() -> None:
    body = builders.explore(viewer_id=9, excluded_authors=[3, 4], origin_ms=1_000_000_000_000)
    bool_query = body["query"]["function_score"]["query"]["bool"]
    assert bool_query["must_not"] == [{"terms": {"author_id": [9, 3, 4]}}]
    assert {"term": {"visibility": "public"}} in bool_query["filter"]
    gauss = body["query"]["function_score"]["functions"][1]["gauss"]["created_at"]
    assert gauss["origin"] == 1_000_000_000_000


@pytest.mark.parametrize("values", [[1.2345678, 42], [0.0, 1], [100.0, 2**62]])
def test_cursors_round_trip_scores_exactly(values: list[float | int]) -> None:
    assert decode_sort(encode_sort(values, "fi"), "fi") == values


def test_a_cursor_of_another_shape_or_a_nan_score_is_refused() -> None:
    with pytest.raises(Invalid):
        decode_sort(encode_sort([5], "i"), "fi")
    with pytest.raises(Invalid):
        decode_sort(encode_sort([math.nan, 1], "fi"), "fi")


def test_documents_carry_parsed_tags_mentions_and_engagement() -> None:
    post = {
        "id": 1,
        "author_id": 2,
        "content": "Hi @Bob #News",
        "visibility": "public",
        "created_at": 3,
        "like_count": 4,
        "comment_count": 5,
        "share_count": 6,
    }
    doc = post_document(post, "Alice", indexed_at=7)
    assert (doc["hashtags"], doc["mentions"], doc["author_username"]) == (["news"], ["bob"], "alice")
    assert doc["engagement"] == engagement(4, 5, 6) == 4 + 10 + 18


def test_the_decay_formula() -> None:
    now = 10 * HALF_LIFE_MS
    assert contribution_value(3.0, now, now) == 3.0  # counts fully when it happens
    assert contribution_value(3.0, now - HALF_LIFE_MS, now) == 1.5  # half after one half-life
    # Stored values are epoch-relative; decaying them gives the same number whatever the epoch.
    for epoch in (0, now - 5 * HALF_LIFE_MS, now):
        stored = 3.0 * 2 ** ((now - HALF_LIFE_MS - epoch) / HALF_LIFE_MS)
        assert math.isclose(decayed(stored, epoch, now), 1.5)
