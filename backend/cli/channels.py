"""``ytempire channel``: list, create, update, show, pause, resume and delete channels;
connect and disconnect their YouTube accounts."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from backend.channels import repository, service, voices
from backend.channels.schemas import ChannelCreate, ChannelUpdate, StyleSettings, VoiceSettings
from backend.cli.common import console, err_console, run, session_scope, settings
from backend.errors import BadRequest, NotFound
from backend.models import Channel, ChannelStatus, Privacy, User, VideoFormat
from backend.models.channel import CHANNEL_DEFAULTS as DEFAULTS
from backend.publishing import connections
from backend.publishing.connections import ConnectionState
from backend.render import music
from backend.render.errors import RenderInputError
from backend.users import service as user_service

app = typer.Typer(help="Manage channels.", no_args_is_help=True)

CHANNEL_HELP = "The channel: its id, the first 8+ characters of its id, or its exact name."


def short_id(channel: Channel) -> str:
    return channel.id.hex[:8]


async def find_channel(session: AsyncSession, ref: str, owner_email: str | None) -> Channel:
    """A live channel by id, id prefix (8+ hex characters) or exact name."""
    owner = await user_service.get_by_email(session, owner_email) if owner_email else None
    channels = [
        c for c in await repository.list_all(session) if owner is None or c.owner_id == owner.id
    ]
    ref = ref.strip()
    try:
        wanted = uuid.UUID(ref)
        matches = [c for c in channels if c.id == wanted]
    except ValueError:
        prefix = ref.lower().replace("-", "")
        matches = [c for c in channels if len(prefix) >= 8 and c.id.hex.startswith(prefix)]
        matches = matches or [c for c in channels if c.name == ref]
    if not matches:
        raise NotFound("channel", ref)
    if len(matches) > 1:
        ids = ", ".join(short_id(c) for c in matches)
        raise BadRequest(f"{len(matches)} channels match {ref!r} ({ids}); give the id instead")
    return matches[0]


OPTION_NAMES = {
    "format": "--format",
    "language": "--language",
    "cadence_per_day": "--per-day",
    "daily_budget_usd": "--daily-budget",
    "monthly_budget_usd": "--monthly-budget",
    "target_minutes": "--minutes",
    "voice": "--voice",
    "name": "--name",
    "niche": "--niche",
    "privacy": "--privacy",
}
MADE_FOR_KIDS_HELP = (
    "Whether the channel's videos are made for kids (YouTube asks; uploads are held "
    "until it is set)."
)
PRIVACY_HELP = "What uploads become on YouTube: private, unlisted or public."
AUTO_PUBLISH_HELP = "Publish every video that becomes ready, without waiting for the owner."


def _plain(error: dict[str, object]) -> str:
    kind, ctx = error.get("type"), error.get("ctx") or {}
    assert isinstance(ctx, dict)
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)"
    if kind == "string_pattern_mismatch":
        return "is not a language code like en, de or es-MX"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = next(iter(ctx.values()), "")
        words = {
            "greater_than": "more than",
            "greater_than_equal": "at least",
            "less_than": "less than",
            "less_than_equal": "at most",
        }
        return f"must be {words[str(kind)]} {bound}"
    if kind == "enum":
        return f"must be one of {ctx.get('expected', '')}"
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return message.replace("daily_budget_usd", "the daily budget").replace(
        "monthly_budget_usd", "the monthly budget"
    )


def plain_errors(exc: ValidationError) -> str:
    """Pydantic's errors in plain words, named by the command's own options."""
    parts = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ())]
        field = loc[-1] if loc else ""
        where = OPTION_NAMES.get(field, field)
        message = _plain(dict(error))
        parts.append(f"{where} {message}" if where else message)
    return "; ".join(parts)


def _made_for_kids(value: bool | None) -> str:
    return "not set (uploads are held)" if value is None else ("yes" if value else "no")


def _youtube(state: ConnectionState | None) -> str:
    if state is None or state.state == connections.NOT_CONNECTED:
        return "not connected (`ytempire channel connect CHANNEL`)"
    who = f"{state.youtube_channel_title or '?'} ({state.youtube_channel_id or '?'})"
    if state.state == "needs_reconnect":
        return f"needs reconnecting: {state.reason or 'the grant was revoked'} — {who}"
    return f"connected to {who}"


def _music(channel: Channel) -> str:
    mood = str((channel.style_settings or {}).get("music_mood", "calm"))
    tracks = music.channel_tracks(settings().data_dir / "music", str(channel.id))
    if tracks and mood != music.NO_MUSIC:
        return f"own tracks ({len(tracks)}), mood {mood}"
    return "none" if mood == music.NO_MUSIC else f"built-in {mood} bed (CC0)"


def _retention(channel: Channel) -> str:
    if channel.media_retention_days is None:
        return "keep everything"
    kept = "MP4 pruned too" if channel.prune_mp4 else "MP4, subtitles and thumbnail kept"
    return f"intermediates pruned {channel.media_retention_days} days after publishing ({kept})"


def describe(channel: Channel, owner: User | None, youtube: ConnectionState | None = None) -> Table:
    table = Table(show_header=False, box=None)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    status = channel.status.value + (f" ({channel.pause_reason})" if channel.pause_reason else "")
    rows = [
        ("id", str(channel.id)),
        ("name", channel.name),
        ("owner", owner.email if owner else "?"),
        ("niche", channel.niche),
        ("language", channel.language),
        ("format", channel.format.value),
        ("status", status),
        ("videos per day", f"{channel.cadence_per_day:g}"),
        ("budget", f"${channel.daily_budget_usd:.2f}/day, ${channel.monthly_budget_usd:.2f}/month"),
        ("quality threshold", f"{channel.quality_threshold:g}"),
        ("voice", str((channel.voice_settings or {}).get("voice", "en-us"))),
        ("music", _music(channel)),
        ("shorts", "on" if (channel.style_settings or {}).get("shorts") else "off"),
        ("shorts captions", str((channel.style_settings or {}).get("caption_style", "line"))),
        ("youtube", _youtube(youtube)),
        ("made for kids", _made_for_kids(channel.made_for_kids)),
        ("privacy", channel.privacy.value),
        ("auto publish", "on" if channel.auto_publish else "off"),
        ("media retention", _retention(channel)),
        (
            "autopilot",
            f"on, {channel.autopilot_buffer_days} days ahead ({channel.timezone})"
            if channel.autopilot
            else f"off ({channel.timezone})",
        ),
        ("created", channel.created_at.strftime("%Y-%m-%d %H:%M UTC")),
    ]
    for key, value in rows:
        table.add_row(key, value)
    return table


@app.command("list")
def list_channels(
    owner: str | None = typer.Option(None, "--owner", help="Only this user's channels (email)."),
) -> None:
    """List every channel: id, name, owner, niche, status and budget."""

    async def _list() -> None:
        async with session_scope() as session:
            user = await user_service.get_by_email(session, owner) if owner else None
            channels = [
                c
                for c in await repository.list_all(session)
                if user is None or c.owner_id == user.id
            ]
            owners = {c.owner_id: await session.get(User, c.owner_id) for c in channels}
        if not channels:
            console.print("no channels yet: ytempire channel create NAME --owner EMAIL --niche X")
            return
        table = Table("id", "name", "owner", "niche", "status", "/day", "budget/day")
        table.columns[0].no_wrap = True
        for column in table.columns[1:4]:
            column.overflow = "fold"
        for c in channels:
            user_row = owners.get(c.owner_id)
            status = c.status.value + (f" ({c.pause_reason})" if c.pause_reason else "")
            table.add_row(
                short_id(c),
                c.name,
                user_row.email if user_row else "?",
                c.niche,
                status,
                f"{c.cadence_per_day:g}",
                f"${c.daily_budget_usd:.2f}",
            )
        console.print(table)

    run(_list)


@app.command("create")
def create(
    name: str = typer.Argument(..., help="The channel's name."),
    owner: str = typer.Option(..., "--owner", help="The owner's email."),
    niche: str = typer.Option(..., "--niche", help="What the channel is about."),
    fmt: str = typer.Option(DEFAULTS.format.value, "--format", help="long (16:9) or short (9:16)."),
    language: str = typer.Option(DEFAULTS.language, "--language", help="ISO code: en, de, es-MX."),
    per_day: float = typer.Option(DEFAULTS.cadence_per_day, "--per-day", help="Videos per day."),
    daily_budget: Decimal = typer.Option(
        DEFAULTS.daily_budget_usd, "--daily-budget", help="USD per day."
    ),
    monthly_budget: Decimal = typer.Option(
        DEFAULTS.monthly_budget_usd, "--monthly-budget", help="USD per month."
    ),
    minutes: float = typer.Option(
        DEFAULTS.target_minutes, "--minutes", help="Target length of a video."
    ),
    voice: str = typer.Option(DEFAULTS.voice, "--voice", help="See `ytempire channel voices`."),
    made_for_kids: bool | None = typer.Option(
        None, "--made-for-kids/--not-made-for-kids", help=MADE_FOR_KIDS_HELP
    ),
    privacy: Privacy = typer.Option(DEFAULTS.privacy, "--privacy", help=PRIVACY_HELP),
    auto_publish: bool = typer.Option(
        DEFAULTS.auto_publish, "--auto-publish/--no-auto-publish", help=AUTO_PUBLISH_HELP
    ),
) -> None:
    """Create a channel for a user (within their channel limit)."""
    try:
        data = ChannelCreate(
            name=name,
            niche=niche,
            format=fmt,
            language=language,
            cadence_per_day=per_day,
            daily_budget_usd=daily_budget,
            monthly_budget_usd=monthly_budget,
            voice_settings=VoiceSettings(voice=voice),
            style_settings=StyleSettings(target_minutes=minutes),
            made_for_kids=made_for_kids,
            privacy=privacy,
            auto_publish=auto_publish,
        )
    except ValidationError as exc:
        err_console.print(f"[red]error:[/red] {plain_errors(exc)}")
        raise typer.Exit(1) from exc

    async def _create() -> None:
        async with session_scope() as session:
            user = await user_service.get_by_email(session, owner)
            channel = await service.create(session, user, data)
            console.print(
                f"created channel [bold]{channel.name}[/bold] for {user.email} id={channel.id}"
            )

    run(_create)


@app.command("show")
def show(
    channel: str = typer.Argument(..., help=CHANNEL_HELP),
    owner: str | None = typer.Option(None, "--owner", help="The owner's email."),
) -> None:
    """Show a channel's settings and what its videos are doing."""

    async def _show() -> None:
        async with session_scope() as session:
            found = await find_channel(session, channel, owner)
            user = await session.get(User, found.owner_id)
            preview = await service.delete_preview(session, found)
            youtube = await connections.state(session, found.id)
        console.print(describe(found, user, youtube))
        console.print(
            f"videos: {preview.total} in all, {preview.cancelled} queued/running/in review"
        )

    run(_show)


@app.command("update")
def update(
    channel: str = typer.Argument(..., help=CHANNEL_HELP),
    owner: str | None = typer.Option(None, "--owner", help="The owner's email."),
    name: str | None = typer.Option(None, "--name", help="A new name."),
    niche: str | None = typer.Option(None, "--niche", help="What the channel is about."),
    fmt: VideoFormat | None = typer.Option(None, "--format", help="long (16:9) or short (9:16)."),
    language: str | None = typer.Option(None, "--language", help="ISO code: en, de, es-MX."),
    per_day: float | None = typer.Option(None, "--per-day", help="Videos per day."),
    daily_budget: Decimal | None = typer.Option(None, "--daily-budget", help="USD per day."),
    monthly_budget: Decimal | None = typer.Option(None, "--monthly-budget", help="USD per month."),
    made_for_kids: bool | None = typer.Option(
        None, "--made-for-kids/--not-made-for-kids", help=MADE_FOR_KIDS_HELP
    ),
    privacy: Privacy | None = typer.Option(None, "--privacy", help=PRIVACY_HELP),
    auto_publish: bool | None = typer.Option(
        None, "--auto-publish/--no-auto-publish", help=AUTO_PUBLISH_HELP
    ),
    autopilot: bool | None = typer.Option(
        None,
        "--autopilot/--no-autopilot",
        help="Keep the channel's buffer of videos made for its publish slots.",
    ),
    buffer_days: int | None = typer.Option(
        None, "--buffer-days", help="Days of publish slots the autopilot keeps made (1-14)."
    ),
    timezone: str | None = typer.Option(
        None, "--timezone", help="IANA zone of the publish slots, e.g. Europe/Berlin."
    ),
    music_mood: str | None = typer.Option(
        None, "--music-mood", help="Built-in music bed: calm, upbeat, dramatic or none."
    ),
    shorts: bool | None = typer.Option(
        None, "--shorts/--no-shorts", help="Cut a vertical Short from each long video."
    ),
    caption_style: str | None = typer.Option(
        None, "--caption-style", help="Shorts' captions: line, or word_highlight (spoken word lit)."
    ),
    retention_days: int | None = typer.Option(
        None,
        "--media-retention-days",
        help="Days after publishing before a video's stills and voice are pruned; 0: keep.",
    ),
    prune_mp4: bool | None = typer.Option(
        None, "--prune-mp4/--keep-mp4", help="Prune the MP4 too once the retention passed."
    ),
) -> None:
    """Change a channel's settings; what is left out stays as it is."""
    given = {
        "name": name,
        "niche": niche,
        "format": fmt,
        "language": language,
        "cadence_per_day": per_day,
        "daily_budget_usd": daily_budget,
        "monthly_budget_usd": monthly_budget,
        "made_for_kids": made_for_kids,
        "privacy": privacy,
        "auto_publish": auto_publish,
        "autopilot": autopilot,
        "autopilot_buffer_days": buffer_days,
        "timezone": timezone,
        "prune_mp4": prune_mp4,
    }
    changes: dict[str, object] = {k: v for k, v in given.items() if v is not None}
    if retention_days is not None:  # 0 clears it: kept forever
        changes["media_retention_days"] = retention_days or None
    style_changes = {
        key: value
        for key, value in (
            ("music_mood", music_mood),
            ("shorts", shorts),
            ("caption_style", caption_style),
        )
        if value is not None
    }
    if not changes and not style_changes:
        err_console.print(
            "[red]error:[/red] nothing to change; see `ytempire channel update --help`"
        )
        raise typer.Exit(1)
    try:
        data = ChannelUpdate(**changes)
        StyleSettings(**style_changes)  # a bad mood is refused before the database is asked
    except ValidationError as exc:
        err_console.print(f"[red]error:[/red] {plain_errors(exc)}")
        raise typer.Exit(1) from exc

    async def _update() -> None:
        async with session_scope() as session:
            found = await find_channel(session, channel, owner)
            update = data
            if style_changes:  # merged into the channel's style, the rest kept
                style = StyleSettings.model_validate(
                    {**(found.style_settings or {}), **style_changes}
                )
                update = data.model_copy(update={"style_settings": style.model_dump()})
                update.model_fields_set.add("style_settings")
            await service.update_channel(session, found, update)
            user = await session.get(User, found.owner_id)
            youtube = await connections.state(session, found.id)
            console.print(f"channel [bold]{escape(found.name)}[/bold] ({short_id(found)}) updated")
            console.print(describe(found, user, youtube))

    run(_update)


def _set_status(channel: str, owner: str | None, status: ChannelStatus) -> None:
    async def _apply() -> None:
        async with session_scope() as session:
            found = await find_channel(session, channel, owner)
            await service.set_paused(session, found, status == ChannelStatus.paused)
            console.print(f"channel [bold]{found.name}[/bold] ({short_id(found)}) {status.value}")

    run(_apply)


@app.command("pause")
def pause(
    channel: str = typer.Argument(..., help=CHANNEL_HELP),
    owner: str | None = typer.Option(None, "--owner", help="The owner's email."),
) -> None:
    """Pause a channel: no new work starts until it is resumed."""
    _set_status(channel, owner, ChannelStatus.paused)


@app.command("resume")
def resume(
    channel: str = typer.Argument(..., help=CHANNEL_HELP),
    owner: str | None = typer.Option(None, "--owner", help="The owner's email."),
) -> None:
    """Resume a paused channel (its failure count starts again at 0)."""
    _set_status(channel, owner, ChannelStatus.active)


@app.command("delete")
def delete(
    channel: str = typer.Argument(..., help=CHANNEL_HELP),
    owner: str | None = typer.Option(None, "--owner", help="The owner's email."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a channel; says first what happens to its videos."""

    async def _delete() -> None:
        async with session_scope() as session:
            found = await find_channel(session, channel, owner)
            preview = await service.delete_preview(session, found)
            console.print(f"deleting channel [bold]{found.name}[/bold] ({found.id}):")
            for line in preview.sentences():
                console.print(f"  {line}")
            if not yes and not typer.confirm("Delete it?", default=False):
                raise typer.Exit(1)
            await service.delete(session, found)
        console.print("channel deleted")

    run(_delete)


@app.command("voices")
def list_voices(
    language: str | None = typer.Option(None, "--language", help="Only voices of this language."),
) -> None:
    """The voices a channel can use here: named voices, then eSpeak NG's (for --voice)."""
    table = Table("voice", "what it is")
    table.columns[0].no_wrap = True
    table.columns[1].overflow = "fold"
    for voice in voices.catalogue(settings()):
        if language and voice.language and not voice.language.startswith(language.lower()):
            continue
        table.add_row(voice.id, voice.label)
    console.print(table)


def connect_channel(channel: str, code: str | None) -> None:
    """Connect a channel on a headless box (also ``ytempire youtube connect``): print the
    consent address, then take the address Google sent the browser to, or its code."""

    async def _connect() -> None:
        answer = code
        consent: connections.Consent | None = None
        async with session_scope() as session:
            found = await find_channel(session, channel, None)
            channel_id, name = found.id, found.name
            if answer is None:  # the consent is committed before we wait for its answer
                consent = await connections.start(session, settings(), channel_id)
        if consent is not None:
            console.print(
                f"Open this address in a browser signed in to the Google account of the "
                f"YouTube channel for [bold]{escape(name)}[/bold] (valid until "
                f"{consent.expires_at:%H:%M} UTC):"
            )
            console.print(consent.url, soft_wrap=True, markup=False, highlight=False)
            console.print(
                f"Google then sends the browser to {escape(consent.redirect_uri)}?...; when "
                "that page does not open (a headless box), copy its address from the address bar"
            )
            console.print("(or stop here and run this again later with --code)")
            answer = str(typer.prompt("Paste the address you were sent to (or its code)"))
        assert answer is not None
        async with session_scope() as session:
            row = await connections.finish(session, settings(), channel_id, answer)
            title, youtube_id = row.youtube_channel_title, row.youtube_channel_id
        console.print(
            f"connected to YouTube channel [bold]{escape(title or '?')}[/bold] ({youtube_id})"
        )

    run(_connect)


def disconnect_channel(channel: str) -> None:
    """Revoke the channel's grant at Google and wipe it here (also ``youtube disconnect``)."""

    async def _disconnect() -> None:
        async with session_scope() as session:
            found = await find_channel(session, channel, None)
            done = await connections.stop(session, settings(), found.id)
        console.print(
            "disconnected: the grant was revoked at Google and wiped here"
            if done
            else "the channel was not connected"
        )

    run(_disconnect)


@app.command("connect")
def connect(
    channel: str = typer.Argument(..., help=CHANNEL_HELP),
    code: str | None = typer.Option(
        None, "--code", help="The address Google redirected to, or its code: no prompt."
    ),
) -> None:
    """Connect a channel to its YouTube account (works on a headless box).

    Open the printed address in any browser, sign in, and paste the address the browser
    lands on (or its code); or stop, and run it again later with --code.
    """
    connect_channel(channel, code)


@app.command("disconnect")
def disconnect(channel: str = typer.Argument(..., help=CHANNEL_HELP)) -> None:
    """Revoke the channel's YouTube grant at Google and wipe it here."""
    disconnect_channel(channel)


def _music_root() -> Path:
    return settings().data_dir / "music"


@app.command("music-list")
def music_list(
    channel: str = typer.Argument(..., help=CHANNEL_HELP),
    owner: str | None = typer.Option(None, "--owner", help="The owner's email."),
) -> None:
    """The channel's own music tracks (used instead of the built-in bed of its mood)."""

    async def _list() -> None:
        async with session_scope() as session:
            found = await find_channel(session, channel, owner)
        tracks = music.channel_tracks(_music_root(), str(found.id))
        console.print(f"music of [bold]{escape(found.name)}[/bold]: {_music(found)}")
        for track in tracks:
            console.print(f"  {escape(track.name)}  {track.stat().st_size / 1e6:.1f} MB")

    run(_list)


@app.command("music-add")
def music_add(
    channel: str = typer.Argument(..., help=CHANNEL_HELP),
    path: Path = typer.Argument(..., help="An audio file (wav, mp3, flac, ogg, m4a, aac, opus)."),
    owner: str | None = typer.Option(None, "--owner", help="The owner's email."),
) -> None:
    """Add a music track to the channel; only music you hold the rights to."""
    if not path.is_file():
        err_console.print(f"[red]error:[/red] {escape(str(path))} is not a file")
        raise typer.Exit(1)

    data = path.read_bytes()

    async def _add() -> Path:
        async with session_scope() as session:
            found = await find_channel(session, channel, owner)
        return music.add_track(_music_root(), str(found.id), path.name, data)

    try:
        stored = run(_add)
    except RenderInputError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    console.print(f"added {escape(stored.name)}")


@app.command("music-remove")
def music_remove(
    channel: str = typer.Argument(..., help=CHANNEL_HELP),
    name: str = typer.Argument(..., help="The track's file name, as music-list shows it."),
    owner: str | None = typer.Option(None, "--owner", help="The owner's email."),
) -> None:
    """Remove one of the channel's own music tracks."""

    async def _remove() -> bool:
        async with session_scope() as session:
            found = await find_channel(session, channel, owner)
        return music.remove_track(_music_root(), str(found.id), name)

    if not run(_remove):
        err_console.print(f"[red]error:[/red] no track {escape(name)!r} on that channel")
        raise typer.Exit(1)
    console.print(f"removed {escape(name)}")
