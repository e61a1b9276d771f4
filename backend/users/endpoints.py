from __future__ import annotations

from fastapi import APIRouter

from backend.deps import AdminUser, CurrentUser, SessionDep
from backend.users import service
from backend.users.schemas import UserOut, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me")
async def read_me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.put("/me")
async def update_me(data: UserUpdate, user: CurrentUser, session: SessionDep) -> UserOut:
    return UserOut.model_validate(await service.update_me(session, user, data))


@router.get("")
async def list_users(_admin: AdminUser, session: SessionDep) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in await service.list_users(session)]
