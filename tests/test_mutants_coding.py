"""Rule tests written against the survivors of the mutation run over `src/igclaim/coding/` (docs/mutation/):
each pins a behaviour an official source states, which a surviving mutant changed without any test noticing."""
