"""Rule tests written against the survivors of the mutation run over the diagnosis, table, drug, payer,
authorization and plausibility edits (`src/igclaim/edits/`; docs/mutation/): each pins a behaviour an official
source states, which a surviving mutant changed without any test noticing."""
