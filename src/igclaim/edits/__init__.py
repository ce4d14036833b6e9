"""Edits: each family module registers its checks with the catalog in `registry` when imported."""
