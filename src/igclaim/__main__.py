"""`python -m igclaim`: the `igclaim` command itself, for a machine whose PATH lacks the script (the same exits)."""

from igclaim.cli import main

main()
