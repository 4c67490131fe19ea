"""Registration and login (OAuth2 password flow)."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, BackgroundTasks, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ServicesDep
from api.schemas.users import RegisterRequest, TokenOut, UserOut
from core.clock import now_ms
from core.errors import Unauthorized
from core.ids import new_id
from graph.repositories import users

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserOut)
async def register(body: RegisterRequest, services: ServicesDep, tasks: BackgroundTasks) -> UserOut:
    """Create an account. 409 when the username (ignoring case) or the email is taken."""
    password_hash = await anyio.to_thread.run_sync(services.passwords.hash, body.password)
    event_id = new_id()
    user = await users.create_user(
        services.graph,
        user_id=new_id(),
        username=body.username,
        email=str(body.email),
        password_hash=password_hash,
        now_ms=now_ms(),
        event_id=event_id,
    )
    tasks.add_task(services.feed.publish_soon, event_id)  # search indexes users
    return UserOut.from_record(user)


@router.post("/login", response_model=TokenOut)
async def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], services: ServicesDep) -> TokenOut:
    """OAuth2 password flow: ``username`` (or email) and ``password`` as form fields; returns a token."""
    found = await users.credentials(services.graph, form.username)
    # Verify against a dummy hash when the account is unknown so both failures take the same time.
    password_hash = found[1] if found else _DUMMY_HASH.get(services)
    valid = await anyio.to_thread.run_sync(services.passwords.verify, password_hash, form.password)
    if not found or not valid:
        raise Unauthorized("wrong username or password", code="invalid_credentials")
    issued = services.tokens.issue(found[0])
    return TokenOut(
        access_token=issued.token,
        expires_in=issued.expires_in,
        expires_at=issued.expires_at * 1000,
        user_id=found[0],
    )


class _DummyHash:
    """A hash of a random password, made once per process with the configured cost."""

    def __init__(self) -> None:
        self._value: str | None = None

    def get(self, services: ServicesDep) -> str:
        if self._value is None:
            self._value = services.passwords.hash(new_id().to_bytes(8, "big").hex())
        return self._value


_DUMMY_HASH = _DummyHash()
