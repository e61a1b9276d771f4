"""Users (admins only): list accounts, create one, raise a channel limit, change a role,
deactivate or reactivate. Every change goes through the users service, which keeps the
last active administrator."""

from __future__ import annotations

from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from fastapi import Depends, Form, Request, Response

from backend.auth.service import create_user
from backend.channels import repository as channel_repository
from backend.deps import SessionDep, SettingsDep, parse_uuid
from backend.errors import AppError, Forbidden
from backend.models import User, UserRole
from backend.users import service
from backend.users.schemas import AdminUserUpdate
from backend.web.deps import Csrf, PageUser
from backend.web.routing import page_router, redirect
from backend.web.templating import render

router = page_router()

NOTICES = {
    "limit": "Channel limit saved.",
    "role": "Role saved.",
    "deactivated": "User deactivated: their sessions have ended and they cannot sign in.",
    "activated": "User reactivated: they can sign in again.",
    "created": "User created. Give them their email and password.",
}


async def get_page_admin(user: PageUser) -> User:
    if user.role != UserRole.admin:
        raise Forbidden("This page is for administrators.", code="admin_required")
    return user


AdminPageUser = Annotated[User, Depends(get_page_admin)]


async def _page(
    request: Request,
    admin: User,
    session: SessionDep,
    *,
    error: str | None = None,
    status_code: int = 200,
    new: dict[str, str] | None = None,
) -> Response:
    users = await service.list_users(session)
    used = {u.id: await channel_repository.count_alive(session, u.id) for u in users}
    return render(
        request,
        "admin.html",
        {
            "users": users,
            "used": used,
            "error": error,
            "new": new or {"email": "", "role": "member", "channel_limit": ""},
            "notice": NOTICES.get(request.query_params.get("notice", "")),
        },
        user=admin,
        section="admin",
        status_code=status_code,
    )


@router.get("/admin")
async def admin_page(request: Request, admin: AdminPageUser, session: SessionDep) -> Response:
    return await _page(request, admin, session)


async def _apply(
    request: Request,
    admin: User,
    session: SessionDep,
    user_id: str,
    change: AdminUserUpdate,
    notice: str,
) -> Response:
    target = await service.get(session, parse_uuid(user_id, "user"))
    try:
        await service.admin_update(session, target, change)
    except AppError as exc:
        return await _page(request, admin, session, error=exc.message, status_code=exc.status_code)
    return redirect(f"/admin?notice={notice}#user-{target.id}")


@router.post("/admin/users/{user_id}/limit", dependencies=[Csrf])
async def set_limit(
    request: Request,
    user_id: str,
    admin: AdminPageUser,
    session: SessionDep,
    channel_limit: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    value = channel_limit.strip()
    if not value.isdigit() or not 1 <= int(value) <= 100:
        error = "The channel limit is a whole number from 1 to 100."
        return await _page(request, admin, session, error=error, status_code=400)
    change = AdminUserUpdate(channel_limit=int(value))
    return await _apply(request, admin, session, user_id, change, "limit")


@router.post("/admin/users/{user_id}/role", dependencies=[Csrf])
async def set_role(
    request: Request,
    user_id: str,
    admin: AdminPageUser,
    session: SessionDep,
    role: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    if role not in (UserRole.admin.value, UserRole.member.value):
        error = "The role is admin or member."
        return await _page(request, admin, session, error=error, status_code=400)
    change = AdminUserUpdate(role=UserRole(role))
    return await _apply(request, admin, session, user_id, change, "role")


@router.post("/admin/users/{user_id}/active", dependencies=[Csrf])
async def set_active(
    request: Request,
    user_id: str,
    admin: AdminPageUser,
    session: SessionDep,
    active: Annotated[str, Form(max_length=1)] = "0",
) -> Response:
    on = active == "1"
    change = AdminUserUpdate(is_active=on)
    return await _apply(
        request, admin, session, user_id, change, "activated" if on else "deactivated"
    )


@router.post("/admin/users", dependencies=[Csrf])
async def add_user(
    request: Request,
    admin: AdminPageUser,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    role: Annotated[str, Form(max_length=16)] = "member",
    channel_limit: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    new = {"email": email.strip(), "role": role, "channel_limit": channel_limit.strip()}
    error = None
    try:
        validate_email(new["email"], check_deliverability=False)
    except EmailNotValidError as exc:
        error = f"That is not a valid email address: {exc}"
    if error is None and not 10 <= len(password) <= 128:
        error = "The password needs between 10 and 128 characters."
    limit = new["channel_limit"]
    if error is None and limit and (not limit.isdigit() or not 1 <= int(limit) <= 100):
        error = "The channel limit is a whole number from 1 to 100 (empty: the default)."
    if error is None and role not in (UserRole.admin.value, UserRole.member.value):
        error = "The role is admin or member."
    if error is not None:
        return await _page(request, admin, session, error=error, status_code=400, new=new)
    try:
        await create_user(
            session,
            settings,
            email=new["email"],
            password=password,
            role=UserRole(role),
            channel_limit=int(limit) if limit else None,
        )
    except AppError as exc:
        return await _page(
            request, admin, session, error=exc.message, status_code=exc.status_code, new=new
        )
    return redirect("/admin?notice=created")
