"""Data tooling of the migration: backfilling services from the monolith, the legacy token bridge.

Coupling to the monolith is at the table level only (`monolith_tables`); nothing here imports
`legacy_monolith`.
"""
