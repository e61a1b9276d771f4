"""What a slide shows, as structured content: the image endpoint's ``slide`` extension.

``POST /v1/images/generations`` stays OpenAI-compatible: ``prompt`` is the real picture
description (what SDXL or a cloud model draws). A caller that also wants a designed slide
from the CPU renderer adds ``slide`` (this model, as JSON) in the request body (the
``openai`` SDK's ``extra_body``); backends that draw pictures ignore it, the slide
renderer composes its layout from it. Without ``slide`` the slide renderer sets the
prompt's subject as a title card, as before.

Imports only pydantic: the gateway's schemas, the backends and the video pipeline share it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SlideLayout = Literal[
    "key_fact", "list", "big_number", "quote", "comparison", "chart", "title", "thumbnail"
]
# the layouts a scene can have (``title`` is the old card, ``thumbnail`` the thumbnail's
# text-free visual)
SCENE_LAYOUTS: tuple[str, ...] = (
    "key_fact",
    "list",
    "big_number",
    "quote",
    "comparison",
    "chart",
)
MAX_ITEMS = 5
MAX_POINTS = 8


def _clean(value: str) -> str:
    return " ".join(value.split())


class ChartPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=24)
    value: float = Field(ge=-1e15, le=1e15)

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        value = _clean(value)
        if not value:
            raise ValueError("a chart label must not be blank")
        return value


class SlideSpec(BaseModel):
    """One slide's content. Which fields a layout needs is checked here, so a bad spec is
    a 400 at the gateway, never a half-drawn slide."""

    model_config = ConfigDict(extra="forbid")

    layout: SlideLayout
    title: str = Field(default="", max_length=120)  # the heading (every layout may have one)
    text: str = Field(default="", max_length=400)  # key fact / quote / big number's caption
    number: str = Field(default="", max_length=16)  # big_number, thumbnail: "73%", "1.2M"
    items: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)  # list
    source: str = Field(default="", max_length=80)  # a quote's attribution
    left: str = Field(default="", max_length=40)  # comparison: the two sides' headings
    right: str = Field(default="", max_length=40)
    left_items: list[str] = Field(default_factory=list, max_length=3)
    right_items: list[str] = Field(default_factory=list, max_length=3)
    points: list[ChartPoint] = Field(default_factory=list, max_length=MAX_POINTS)  # chart
    chart: Literal["bar", "line"] = "bar"
    unit: str = Field(default="", max_length=12)  # chart values' unit, e.g. "%"
    side: Literal["left", "right"] = "left"  # thumbnail: where the visual sits
    theme: str = Field(default="", max_length=200)  # words that pick the palette's hue

    @field_validator("title", "text", "number", "source", "left", "right", "unit", "theme")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return _clean(value)

    @field_validator("items", "left_items", "right_items")
    @classmethod
    def _items(cls, items: list[str]) -> list[str]:
        cleaned = [_clean(i) for i in items]
        if any(not i for i in cleaned):
            raise ValueError("list items must not be blank")
        if any(len(i) > 120 for i in cleaned):
            raise ValueError("a list item is longer than 120 characters")
        return cleaned

    @model_validator(mode="after")
    def _has_its_content(self) -> SlideSpec:
        need = {
            "key_fact": not self.text,
            "list": len(self.items) < 2,
            "big_number": not self.number,
            "quote": not self.text,
            "comparison": not (self.left and self.right),
            "chart": len(self.points) < 2,
            "title": not self.title,
            "thumbnail": False,
        }
        if need[self.layout]:
            raise ValueError(
                f"a {self.layout} slide is missing its content ({_NEEDS[self.layout]})"
            )
        return self


_NEEDS = {
    "key_fact": "text",
    "list": "at least 2 items",
    "big_number": "number",
    "quote": "text",
    "comparison": "left and right",
    "chart": "at least 2 points",
    "title": "title",
    "thumbnail": "",
}
