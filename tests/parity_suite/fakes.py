"""Sides as plain functions: a handler from a rendered request to an answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from migration_plan.parity.response import ObservedResponse
from migration_plan.parity.scenario import SideRequest
from migration_plan.plan import Endpoint

Handler = Callable[[SideRequest], ObservedResponse]


@dataclass
class FunctionSide:
    handler: Handler
    name: str = "fake"
    seen: list[SideRequest] = field(default_factory=list)

    def send(self, request: SideRequest, endpoint: Endpoint) -> ObservedResponse:
        self.seen.append(request)
        return self.handler(request)

    def close(self) -> None:
        pass


def json_answer(status: int, payload: object) -> ObservedResponse:
    return ObservedResponse.from_json(status, payload)
