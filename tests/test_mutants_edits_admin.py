"""Rule tests written against the survivors of the mutation run over the administration, written-claim and form
edits (`src/igclaim/edits/administration.py`, `written.py`, `form.py`, `registry.py`, `context.py`; docs/mutation/):
each pins a behaviour an official source states, which a surviving mutant changed without any test noticing."""
