"""The team service: a shared worklist, a prior-authorization ledger and an audit trail in a real database.

`igclaim serve --team` runs it; `igclaim db upgrade`, `igclaim users add`, `igclaim tokens create` manage it.
SQLite under IGCLAIM_HOME by default, PostgreSQL (or any SQLAlchemy URL) from IGCLAIM_DATABASE_URL.
"""
