"""One live pair per session (see ``live_stack.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live_stack import LiveStack, running_pair


@pytest.fixture(scope="module")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    with running_pair(tmp_path_factory.mktemp("parity-live")) as pair:
        yield pair
