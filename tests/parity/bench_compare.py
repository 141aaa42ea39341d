"""How long one comparison of two realistic 20-item product pages takes (not a test).

Run: .venv/bin/python tests/parity/bench_compare.py
"""

from __future__ import annotations

import json
import random
import time
import timeit
from collections.abc import Callable
from typing import Any

from migration_plan.parity import NoiseModel, ObservedResponse, ParityRules, compare_responses


def product_page(rng: random.Random) -> dict[str, Any]:
    def stamp() -> str:
        return f"Fri, 27 Nov 2026 04:{rng.randrange(60):02d}:{rng.randrange(60):02d} GMT"

    items = [
        {
            "category": "books",
            "created_at": stamp(),
            "description": f"A novel, volume {i}.",
            "id": rng.randrange(1, 10**6),
            "name": f"The Fig Tree {i}",
            "price": f"{10 + i}.99",
            "sku": f"BOOK-{i:04d}",
            "stock": 12 + i,
            "updated_at": stamp(),
        }
        for i in range(20)
    ]
    return {"items": items, "page": 1, "per_page": 20, "total": 53}


def measure(label: str, run: Callable[[], object], number: int = 2000) -> None:
    # CPU time, best of 5: the shared machine is busy, and wall time would measure neighbours.
    best = min(timeit.repeat(run, number=number, repeat=5, timer=time.process_time)) / number
    print(f"{label:<62} {best * 1e6:8.1f} µs")


def main() -> None:
    rng = random.Random(0)
    page = product_page(rng)
    items: list[dict[str, Any]] = page["items"]
    legacy = ObservedResponse.from_json(200, page)
    same_bytes = ObservedResponse.from_json(200, page)
    # Same content, different serialisation (FastAPI does not sort keys): forces the full walk.
    reordered = ObservedResponse(
        200,
        {"content-type": "application/json"},
        json.dumps({k: page[k] for k in reversed(list(page))}).encode(),
    )
    other = ObservedResponse.from_json(200, product_page(random.Random(1)))
    # The same page as another run of the same code would give: new ids and timestamps.
    rerun = [{**item, "id": item["id"] + 1, "created_at": "x", "updated_at": "y"} for item in items]
    noisy_other = ObservedResponse.from_json(200, {**page, "items": rerun})
    rules = ParityRules(ignore=("/items/*/id", "/**/created_at", "/**/updated_at"))
    model = NoiseModel()
    model.observe(legacy, noisy_other)

    measure("byte-identical bodies", lambda: compare_responses(legacy, same_bytes))
    measure("equal content, full structural walk", lambda: compare_responses(legacy, reordered))
    measure(
        "ids+timestamps differ, ignore rules remove them (60 diffs)",
        lambda: compare_responses(legacy, noisy_other, rules),
    )
    measure(
        "ids+timestamps differ, noise model removes them (60 diffs)",
        lambda: compare_responses(legacy, noisy_other, noise=model),
    )
    measure(
        "ids+timestamps differ, no rules (60 diffs reported)",
        lambda: compare_responses(legacy, noisy_other),
    )
    measure("everything differs, no rules", lambda: compare_responses(legacy, other))
    assert compare_responses(legacy, reordered).matched
    assert compare_responses(legacy, noisy_other, rules).matched
    assert compare_responses(legacy, noisy_other, noise=model).matched
    print(f"body size: {len(legacy.body)} bytes")


if __name__ == "__main__":
    main()
