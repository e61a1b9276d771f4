"""Local stand-ins for the alert receivers: an HTTP webhook receiver and a tiny SMTP
server (asyncio, in a thread), each recording what the real client code sent."""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answered in turn, then 204
    delay_s: float = 0.0


@contextmanager
def webhook_receiver(
    statuses: list[int] | None = None, delay_s: float = 0.0
) -> Iterator[WebhookReceiver]:
    state = WebhookReceiver(url="", statuses=list(statuses or []), delay_s=delay_s)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.requests.append(Received({k: v for k, v in self.headers.items()}, body))
            if state.delay_s:
                time.sleep(state.delay_s)
            status = state.statuses.pop(0) if state.statuses else 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: str


@dataclass
class SmtpServer:
    port: int = 0
    mails: list[Mail] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    password: str = "right password"
    extensions: tuple[str, ...] = ("AUTH PLAIN", "8BITMIME")


async def _session(
    state: SmtpServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    def say(line: str) -> None:
        writer.write((line + "\r\n").encode())

    say("220 fake-smtp ready")
    sender, recipients = "", []
    while True:
        raw = await reader.readline()
        if not raw:
            break
        line = raw.decode().rstrip("\r\n")
        verb = line.split(" ", 1)[0].upper()
        if verb in ("EHLO", "HELO"):
            lines = ["fake-smtp", *state.extensions]
            for i, text in enumerate(lines):
                say(f"250{'-' if i < len(lines) - 1 else ' '}{text}")
        elif verb == "AUTH":
            _, _, credentials = line.split(" ", 2)
            _, user, password = base64.b64decode(credentials).decode().split("\0")
            state.logins.append((user, password))
            say("235 ok" if password == state.password else "535 5.7.8 bad credentials")
        elif verb == "MAIL":
            sender = line.split(":", 1)[1].strip().strip("<>").split(">")[0]
            say("250 ok")
        elif verb == "RCPT":
            recipients.append(line.split(":", 1)[1].strip().strip("<>"))
            say("250 ok")
        elif verb == "DATA":
            say("354 go on")
            chunks = []
            while (part := await reader.readline()) not in (b".\r\n", b""):
                chunks.append(part.decode())
            state.mails.append(Mail(sender, recipients, "".join(chunks)))
            sender, recipients = "", []
            say("250 queued")
        elif verb == "QUIT":
            say("221 bye")
            await writer.drain()
            break
        else:
            say("502 not implemented")
        await writer.drain()
    writer.close()


@contextmanager
def smtp_server(**kw: object) -> Iterator[SmtpServer]:
    state = SmtpServer(**kw)  # type: ignore[arg-type]
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, asyncio.AbstractServer] = {}

    async def start() -> None:
        server = await asyncio.start_server(lambda r, w: _session(state, r, w), "127.0.0.1", 0)
        holder["server"] = server
        state.port = server.sockets[0].getsockname()[1]
        started.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10), "the fake SMTP server did not start"
    try:
        yield state
    finally:
        loop.call_soon_threadsafe(holder["server"].close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
