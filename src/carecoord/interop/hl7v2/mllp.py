"""
MLLP (Minimal Lower Layer Protocol, HL7 v2 transport): each message travels as 0x0B + message + 0x1C 0x0D
over TCP. `MllpServer` is a threaded TCP server: every connection gets a thread that reads framed
messages one after another, hands each to `handler(raw_bytes, peer) -> ack_text` and writes the framed ACK
back before reading the next (so a sender sees the ACK of its own message). A frame larger than
`max_message_bytes` ends the connection (nothing can be acknowledged without reading it), as does a
connection idle for `idle_timeout` seconds. `stop()` stops accepting, lets the message in hand finish,
and closes every connection.
"""

import logging
import socket
import socketserver
import threading
from collections.abc import Callable

from django.db import close_old_connections, connections

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\x0d"
DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024  # 1 MiB: an ADT message is a few kilobytes
DEFAULT_IDLE_TIMEOUT = 300.0
POLL_SECONDS = 0.5  # how often a waiting connection looks whether the server is stopping

logger = logging.getLogger(__name__)

Handler = Callable[[bytes, str], str]


class FrameTooLarge(Exception):
    pass


def frame(message: str | bytes) -> bytes:
    body = message.encode("utf-8") if isinstance(message, str) else message
    return START_BLOCK + body + END_BLOCK


class FrameReader:
    """Collects bytes and yields complete MLLP frames; bytes before a start block are dropped."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer += data
        frames = []
        while True:
            start = self.buffer.find(START_BLOCK)
            if start < 0:
                self.buffer.clear()  # noise between frames
                return frames
            if start:
                del self.buffer[:start]
            end = self.buffer.find(END_BLOCK, 1)
            if end < 0:
                if len(self.buffer) - 1 > self.max_bytes:
                    raise FrameTooLarge(f"message larger than {self.max_bytes} bytes")
                return frames
            if end - 1 > self.max_bytes:
                raise FrameTooLarge(f"message larger than {self.max_bytes} bytes")
            frames.append(bytes(self.buffer[1:end]))
            del self.buffer[: end + len(END_BLOCK)]


class _Connection(socketserver.BaseRequestHandler):
    server: "MllpServer"

    def handle(self) -> None:
        peer = f"{self.client_address[0]}:{self.client_address[1]}"
        reader = FrameReader(self.server.max_message_bytes)
        self.request.settimeout(POLL_SECONDS)
        idle = 0.0
        try:
            while not self.server.stopping.is_set():
                try:
                    data = self.request.recv(65536)
                except TimeoutError:
                    idle += POLL_SECONDS
                    if idle >= self.server.idle_timeout:
                        return
                    continue
                if not data:
                    return
                idle = 0.0
                for raw in reader.feed(data):
                    ack = self.server.handle_message(raw, peer)
                    self.request.sendall(frame(ack))
        except FrameTooLarge as exc:
            logger.warning("mllp.frame_too_large", extra={"peer": peer, "error": str(exc)})
        except OSError as exc:
            logger.info("mllp.connection_error", extra={"peer": peer, "error": str(exc)})
        finally:
            close_old_connections()
            connections.close_all()  # this thread's database connection ends with it


class MllpServer(socketserver.ThreadingTCPServer):
    """A threaded MLLP listener; `port=0` picks a free port (read it from `server_address`)."""

    allow_reuse_address = True
    daemon_threads = True
    block_on_close = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: Handler,
        *,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    ):
        self.handler = handler
        self.max_message_bytes = max_message_bytes
        self.idle_timeout = idle_timeout
        self.stopping = threading.Event()
        self._serving: threading.Thread | None = None
        super().__init__(address, _Connection)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def handle_message(self, raw: bytes, peer: str) -> str:
        return self.handler(raw, peer)

    def start(self) -> threading.Thread:
        """Serves in a background thread (the caller keeps its own thread for signals or tests)."""
        self._serving = threading.Thread(target=self.serve_forever, name="mllp-accept", daemon=True)
        self._serving.start()
        return self._serving

    def stop(self) -> None:
        """Stops accepting, lets each connection finish the message in hand, then closes the socket."""
        self.stopping.set()
        if self._serving is not None:
            self.shutdown()
            self._serving.join()
        self.server_close()  # joins the connection threads (block_on_close)


def send(host: str, port: int, message: str | bytes, *, timeout: float = 10.0) -> str:
    """Sends one framed message and returns the ACK's text (a small client for tests and the benchmark)."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        return exchange(sock, message)


def exchange(sock: socket.socket, message: str | bytes, *, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> str:
    """Sends one framed message on an open connection and reads the framed reply."""
    sock.sendall(frame(message))
    reader = FrameReader(max_bytes)
    while True:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("The listener closed the connection without an ACK.")
        replies = reader.feed(data)
        if replies:
            return replies[0].decode("utf-8")
