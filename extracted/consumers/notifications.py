"""Order confirmations: a record per order, and the email as a file under STRANGLER_VAR_DIR."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from extracted.common.events import Event
from extracted.common.settings import var_dir

metadata = sa.MetaData()

sent = sa.Table(
    "confirmations",
    metadata,
    sa.Column("order_id", sa.BigInteger, primary_key=True),
    sa.Column("user_id", sa.BigInteger, nullable=False),
    sa.Column("total", sa.String(32), nullable=False),
    sa.Column("file", sa.String(500), nullable=False),
    sa.Column("sent_at", sa.DateTime, nullable=False),
)


def outbox_dir() -> Path:
    path = var_dir() / "notifications"
    path.mkdir(parents=True, exist_ok=True)
    return path


def email(event: Event) -> str:
    data = event.data
    lines = [f"  {i['quantity']} x {i['name']}  {i['line_total']}" for i in data["items"]]
    return "\n".join(
        [
            f"To: user {data['user_id']}",
            f"Subject: Order {data['id']} confirmed",
            "",
            *lines,
            f"Total: {data['total']}",
            "",
        ]
    )


def apply(session: Session, event: Event) -> None:
    if event.type != "order.created":
        return
    order_id = int(event.data["id"])
    # Named by order: a redelivery after a crash rewrites the same file, never a second one.
    path = outbox_dir() / f"order-{order_id}.eml"
    path.write_text(email(event))
    session.execute(
        sa.insert(sent).values(
            order_id=order_id,
            user_id=int(event.data["user_id"]),
            total=str(event.data["total"]),
            file=str(path),
            sent_at=datetime.now(UTC).replace(tzinfo=None),
        )
    )
