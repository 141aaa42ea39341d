"""Properties of path normalisation, over generated spellings."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from router.normalise import normalise_path

pytestmark = pytest.mark.unit

SEGMENT = st.one_of(
    st.sampled_from(["", ".", "..", "%2e", "%2E%2e", "%2F", "%2f", "api", "products", "1", "%31"]),
    st.text(alphabet="abcXYZ019-._~", min_size=1, max_size=6),
    st.sampled_from(["%7E", "%41", "a%2Fb", "caf%C3%A9", "%252e"]),
)
RAW_PATH = st.lists(SEGMENT, max_size=8).map(lambda parts: ("/" + "/".join(parts)).encode())


@settings(max_examples=300, deadline=None)
@given(RAW_PATH)
def test_normalising_twice_changes_nothing(raw: bytes) -> None:
    try:
        once = normalise_path(raw)
    except ValueError:
        return
    assert normalise_path(once.encode()) == once


@settings(max_examples=300, deadline=None)
@given(RAW_PATH)
def test_a_normal_path_has_no_empty_or_dot_segments(raw: bytes) -> None:
    try:
        path = normalise_path(raw)
    except ValueError:
        return
    inner = path.rstrip("/").split("/")[1:]
    assert path.startswith("/")
    assert all(segment not in ("", ".", "..") for segment in inner)
    assert "%2E" not in path.upper()  # unreserved characters are never left escaped
    assert "%7E" not in path.upper() and "%41" not in path
