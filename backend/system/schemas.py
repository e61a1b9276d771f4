from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, str]  # database, migrations, redis: "ok" or what is wrong
