"""`igclaim db`, `igclaim users`, `igclaim tokens`: set up the team service's database and who may use it.

The service's modules (SQLAlchemy, Alembic: about 0.4 s to import) are imported by the commands that use them, so
every other command of the CLI (`igclaim build`, `scrub`…) starts without them."""

from __future__ import annotations

from typing import Annotated

import typer

db_app = typer.Typer(help="The team service's database: migrations (SQLite under IGCLAIM_HOME, or "
                          "IGCLAIM_DATABASE_URL).", no_args_is_help=True)
users_app = typer.Typer(help="Users of the team service.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens (stored hashed; shown once).", no_args_is_help=True)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@db_app.command("upgrade")
def upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Migrate the database up (to the newest schema by default)."""
    from igclaim.service import migrate

    migrate.upgrade(revision=revision)
    typer.echo(f"database at revision {migrate.current()}")


@db_app.command("downgrade")
def downgrade(revision: Annotated[str, typer.Argument(help="target revision ('base' drops every table)")]) -> None:
    """Migrate the database down."""
    from igclaim.service import migrate

    migrate.downgrade(revision=revision)
    typer.echo(f"database at revision {migrate.current() or 'base'}")


@db_app.command("current")
def current() -> None:
    from igclaim.service import migrate

    typer.echo(migrate.current() or "base")


@users_app.command("add")
def add_user(name: str, role: Annotated[str, typer.Option(help="biller or admin")] = "biller") -> None:
    """Add a user (then give them a token: igclaim tokens create NAME)."""
    from igclaim.service import auth, migrate
    from igclaim.service.db import sessions
    from igclaim.service.worklist import audit

    migrate.upgrade()
    with sessions()() as db, db.begin():
        try:
            user = auth.add_user(db, name, role)
        except ValueError as exc:
            _fail(str(exc))
        audit(db, None, "user.create", "user", str(user.id))
    typer.echo(f"user {name} ({role}) added")


def _set_disabled(name: str, disabled: bool) -> None:
    from igclaim.service import auth, migrate
    from igclaim.service.db import sessions
    from igclaim.service.worklist import audit

    migrate.upgrade()
    with sessions()() as db, db.begin():
        try:
            user = auth.set_disabled(db, name, disabled)
        except ValueError as exc:
            _fail(str(exc))
        audit(db, None, "user.disable" if disabled else "user.enable", "user", str(user.id))
    typer.echo(f"user {name} {'disabled: their tokens are refused' if disabled else 'enabled'}")


@users_app.command("disable")
def disable_user(name: str) -> None:
    """Refuse every token of a user from the next request on (nothing is deleted; `users enable` undoes it)."""
    _set_disabled(name, True)


@users_app.command("enable")
def enable_user(name: str) -> None:
    """Let a disabled user's tokens work again (a revoked token stays revoked)."""
    _set_disabled(name, False)


@users_app.command("list")
def list_users() -> None:
    from igclaim.service import migrate
    from igclaim.service.db import User, sessions

    migrate.upgrade()
    with sessions()() as db:
        for u in db.query(User).order_by(User.id):
            state = f"disabled {u.disabled_at.isoformat()}" if u.disabled_at else "active"
            typer.echo(f"{u.id}\t{u.name}\t{u.role}\t{state}")


@tokens_app.command("create")
def create(name: Annotated[str, typer.Argument(help="the user the token acts for")]) -> None:
    """Create a token for a user; it is printed once and stored only as a hash."""
    from igclaim.service import auth, migrate
    from igclaim.service.db import sessions
    from igclaim.service.worklist import audit

    migrate.upgrade()
    with sessions()() as db, db.begin():
        try:
            user = auth.user_named(db, name)
        except ValueError as exc:
            _fail(str(exc))
        row, clear = auth.create_token(db, user)
        audit(db, None, "token.create", "token", row.id)
    typer.echo(f"token {row.id} for {name} (shown once, keep it secret):", err=True)
    typer.echo(clear)


@tokens_app.command("revoke")
def revoke(token_id: Annotated[str, typer.Argument(help="the token's id (the part after igc_)")]) -> None:
    from igclaim.service import auth, migrate
    from igclaim.service.db import sessions
    from igclaim.service.worklist import audit

    migrate.upgrade()
    with sessions()() as db, db.begin():
        try:
            row = auth.revoke_token(db, token_id)
        except ValueError as exc:
            _fail(str(exc))
        audit(db, None, "token.revoke", "token", row.id)
    typer.echo(f"token {token_id} revoked")


@tokens_app.command("list")
def list_tokens() -> None:
    from igclaim.service import migrate
    from igclaim.service.db import Token, sessions

    migrate.upgrade()
    with sessions()() as db:
        for t in db.query(Token).order_by(Token.created_at):
            state = f"revoked {t.revoked_at.isoformat()}" if t.revoked_at else "active"
            typer.echo(f"{t.id}\tuser {t.user_id}\t{state}")
