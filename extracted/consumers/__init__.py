"""Downstream consumers of `order.created` / `order.cancelled`: each a small process with its own
tiny SQLite database under STRANGLER_VAR_DIR, applying each event once (IdempotentHandler).

Run one with `strangler events consume inventory|notifications|analytics`.
"""

from extracted.consumers.registry import CONSUMERS, Consumer, build_handler

__all__ = ["CONSUMERS", "Consumer", "build_handler"]
