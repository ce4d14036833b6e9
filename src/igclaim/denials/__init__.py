"""Denials: read 835 remittances, explain each denial, trace it to the igclaim edit that would have caught it, and
prepare the corrected claim (docs/denials.md)."""
