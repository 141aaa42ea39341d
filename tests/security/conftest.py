"""One real stack (`strangler up`, sync running) shared by the attack tests of this folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .security_stack import Stack, running_stack


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("attack-stack")) as running:
        yield running
