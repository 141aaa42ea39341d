"""extracted."""
