"""Encounter ids seen twice in one batch input: the double-billing risk a biller must hear about.

Each id is kept as a 64-bit digest in an open-addressing table of unsigned 64-bit integers (8 bytes a slot, at most
half full), not as text in a set. The table is made whole when the run starts, sized for MAX_IDS_CHECKED distinct
ids (16 MiB at a million), so the run's peak memory is the same for ten records as for ten million: flat with the
input, as the batch must be (benchmarks/RESULTS.md). Past the cap, ids are no longer checked and the run says from
which record. Two different ids share a digest with a chance of about 3 in 100 million at a million ids.
"""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass, field

MAX_IDS_CHECKED = 1_000_000  # distinct ids remembered; records after the one that reaches it are not checked
MAX_EXAMPLES = 10  # duplicates named (id and record) in summary.json, the report and the closing line


def _digest(encounter_id: str) -> int:
    raw = hashlib.blake2b(encounter_id.encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return int.from_bytes(raw, "little") or 1  # 0 marks an empty slot


@dataclass
class DuplicateIds:
    """The duplicate check of one run: `see(id, record)` for each record in input order."""

    duplicates: int = 0  # records whose id an earlier record already had
    examples: list[tuple[str, int]] = field(default_factory=list)  # the first MAX_EXAMPLES (id, record)
    checked_to: int | None = None  # the record that reached the cap (later records not checked); None: all checked
    cap: int = MAX_IDS_CHECKED
    _slots: array = field(init=False, repr=False)
    _count: int = 0

    def __post_init__(self) -> None:
        size = 1 << max(1, 2 * self.cap - 1).bit_length()  # a power of two, at least twice the cap: at most half full
        self._slots = array("Q", [0]) * size

    def see(self, encounter_id: str | None, record: int) -> bool:
        """Remember the id; True when an earlier record had it (a record without an id is not checked)."""
        if not encounter_id or self.checked_to is not None:
            return False
        digest = _digest(encounter_id)
        if self._find(digest):
            self.duplicates += 1
            if len(self.examples) < MAX_EXAMPLES:
                self.examples.append((encounter_id, record))
            return True
        self._insert(digest)
        self._count += 1
        if self._count >= self.cap:
            self.checked_to = record
            self._slots = array("Q")  # no longer needed: the memory goes back
        return False

    def _find(self, digest: int) -> bool:
        mask = len(self._slots) - 1
        i = digest & mask
        while (slot := self._slots[i]) != 0:
            if slot == digest:
                return True
            i = (i + 1) & mask
        return False

    def _insert(self, digest: int) -> None:
        table = self._slots
        mask = len(table) - 1
        i = digest & mask
        while table[i] != 0:
            i = (i + 1) & mask
        table[i] = digest
