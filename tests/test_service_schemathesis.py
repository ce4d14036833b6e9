"""Schemathesis over the team service's OpenAPI: no 5xx, and every response matches its documented schema.

Bounded (a few examples per operation) so it fits in `make test`; run with more examples by setting
IGCLAIM_SCHEMATHESIS_EXAMPLES.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from igclaim.service import auth, migrate
from igclaim.service.app import create_app
from igclaim.service.db import sessions

EXAMPLES = int(os.environ.get("IGCLAIM_SCHEMATHESIS_EXAMPLES", "3"))


def _setup(tmp):
    url = f"sqlite:///{tmp}/team.sqlite"
    migrate.upgrade(url)
    with sessions(url)() as db, db.begin():
        user = auth.add_user(db, "fuzz", "admin")
        _, token = auth.create_token(db, user)
    return create_app(url, rate=1e6, burst=10**6), token


_TMP = pytest.TempPathFactory(None, 3, "all", trace=lambda *a: None, _ispytest=True).mktemp("schemathesis")
APP, TOKEN = _setup(_TMP)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_contract(case):
    """What the issue asks: never a 5xx, and every response in its documented schema and content type. (Whether
    each schema-valid body is accepted is not asked: /api/build documents any object and validates it itself.)"""
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"},
                           checks=[not_a_server_error, response_schema_conformance, content_type_conformance])
