"""The videos domain's request dependency: the dispatcher the app was assembled with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from backend.videos.service import Dispatcher


async def get_dispatcher(request: Request) -> Dispatcher:
    """``app.state.dispatcher`` (built by ``backend.app.assemble``): queued videos start there."""
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]
