"""Batch runs over many encounters (JSON Lines, CSV, Parquet): `run_batch` and its readers and worker."""

from igclaim.batch.runner import BatchSummary, default_workers, describe, duplicates_note, run_batch
from igclaim.batch.sources import Source, SourceError

__all__ = ["BatchSummary", "Source", "SourceError", "default_workers", "describe", "duplicates_note", "run_batch"]
