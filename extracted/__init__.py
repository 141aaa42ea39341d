"""Extracted services: each a FastAPI app owning its own database."""
