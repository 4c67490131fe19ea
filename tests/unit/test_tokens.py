"""Bearer tokens: issued, verified (and remembered while valid), refused when forged or expired."""

from __future__ import annotations

import time

import jwt
import pytest

from core.errors import Unauthorized
from core.settings import Settings
from core.tokens import Tokens


def tokens() -> Tokens:
    return Tokens(Settings(jwt_secret="unit-test-secret-0123456789-abcdef"))


def test_a_token_names_its_user_on_every_check() -> None:
    issued = tokens()
    token = issued.issue(42).token
    assert issued.user_id(token) == 42
    assert issued.user_id(token) == 42  # the second check is answered from memory


def test_a_forged_token_is_refused() -> None:
    forged = jwt.encode(
        {"sub": "42", "exp": int(time.time()) + 60, "iss": "feedgraph"},
        "another-secret-0123456789-abcdef-0123",
    )
    with pytest.raises(Unauthorized) as refused:
        tokens().user_id(forged)
    assert refused.value.code == "invalid_token"


def test_a_remembered_token_is_refused_once_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    issued = tokens()
    token = issued.issue(7).token
    assert issued.user_id(token) == 7  # verified and remembered
    later = time.time() + 3601  # past the default one-hour lifetime
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(Unauthorized) as refused:
        issued.user_id(token)
    assert refused.value.code == "token_expired"
