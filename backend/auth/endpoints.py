from __future__ import annotations

from fastapi import APIRouter, Request, status

from backend.auth import service
from backend.auth.schemas import LoginIn, LogoutIn, RefreshIn, RegisterIn, TokenPair, UserOut
from backend.auth.throttle import login_throttle
from backend.db.session import commit
from backend.deps import CurrentUser, OptionalUser, RedisDep, SessionDep, SettingsDep
from backend.errors import RefreshTokenReused, Unauthorized

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED)
async def register(
    data: RegisterIn, session: SessionDep, settings: SettingsDep, actor: OptionalUser
) -> UserOut:
    user = await service.register(session, settings, data, actor)
    return UserOut.model_validate(user)


@router.post("/login")
async def login(
    data: LoginIn, request: Request, session: SessionDep, settings: SettingsDep, redis: RedisDep
) -> TokenPair:
    throttle = login_throttle(redis, settings)
    address = request.client.host if request.client else "unknown"
    await throttle.check(str(data.email), address)
    user = await service.authenticate(session, str(data.email), data.password)
    if user is None:
        await throttle.failed(str(data.email), address)
        raise Unauthorized("Email or password is incorrect", code="invalid_credentials")
    await throttle.succeeded(str(data.email))
    return await service.issue_tokens(session, settings, user)


@router.post("/refresh")
async def refresh(data: RefreshIn, session: SessionDep, settings: SettingsDep) -> TokenPair:
    try:
        return await service.rotate(session, settings, data.refresh_token)
    except RefreshTokenReused:
        await commit(session)  # keep the family's revocation although the call fails
        raise


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    data: LogoutIn, request: Request, user: CurrentUser, session: SessionDep, redis: RedisDep
) -> None:
    await service.logout(
        session, redis, user, getattr(request.state, "claims", None), data.refresh_token
    )
