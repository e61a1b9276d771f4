from __future__ import annotations

from fastapi import APIRouter

from backend.deps import AdminUser, CurrentUser, SessionDep, parse_uuid
from backend.users import service
from backend.users.schemas import AdminUserUpdate, UserOut, UserUpdate

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


@router.get("/{user_id}")
async def get_user(user_id: str, _admin: AdminUser, session: SessionDep) -> UserOut:
    return UserOut.model_validate(await service.get(session, parse_uuid(user_id, "user")))


@router.patch("/{user_id}")
async def update_user(
    user_id: str, data: AdminUserUpdate, _admin: AdminUser, session: SessionDep
) -> UserOut:
    """Admins: raise a channel limit, change a role, deactivate or reactivate a user."""
    user = await service.get(session, parse_uuid(user_id, "user"))
    return UserOut.model_validate(await service.admin_update(session, user, data))
