"""The side-by-side proxy benchmark (not an installed package: run `bench/run` from the root)."""
