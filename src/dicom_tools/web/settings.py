"""What ``dicom-tools web`` was given, checked before anything listens.

The bind rule (issue 12, section 4): the server binds 127.0.0.1 unless told otherwise, and an
address other machines can reach needs either a bearer token or an explicit ``--insecure``;
without one the command refuses to start (exit 2) and says why.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from dicom_tools.errors import UsageError, option

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3000
DEFAULT_MAX_UPLOAD_MB = 2048  # 2 GB
ENV = "DICOM_TOOLS_WEB_SETTINGS"  # how worker processes receive the settings (--workers N)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine ("localhost", 127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve to anything


@dataclass(frozen=True)
class Settings:
    """The server's settings. ``token`` None with ``insecure`` False is only allowed on a
    loopback address. ``samples``: preload a few sample files into an empty store on its
    first start (the Quick start's server)."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: str | None = None
    database_url: str | None = None
    token: str | None = None
    insecure: bool = False
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB
    cors: tuple[str, ...] = ()
    workers: int = 1
    samples: bool = True

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def store_dir(self) -> Path:
        if self.data_dir:
            return Path(self.data_dir)
        from dicom_tools.store import default_data_dir

        return default_data_dir()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def check(self) -> Settings:
        """Refuse settings the server must not start with (UsageError, exit 2); return self."""
        if self.token is not None and self.insecure:
            raise UsageError(f"{option('token')} and {option('insecure')} exclude each other")
        if self.token is not None and (not self.token or self.token != self.token.strip()):
            raise UsageError(f"{option('token')}: empty, or with spaces around it")
        if not 0 <= self.port <= 65535:
            raise UsageError(f"{option('port')}: {self.port} is out of range (0 to 65535)")
        if self.workers < 1:
            raise UsageError(f"{option('workers')}: {self.workers} is out of range (>= 1)")
        if not self.max_upload_mb > 0:
            raise UsageError(f"{option('max_upload_mb')}: {self.max_upload_mb} is not > 0")
        for origin in self.cors:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise UsageError(
                    f"{option('cors')}: {origin!r} is not an origin (http(s)://host[:port] or *)"
                )
        if not is_loopback(self.host) and self.token is None and not self.insecure:
            raise UsageError(
                f"refusing to listen on {self.host}: other machines could reach the store "
                f"without credentials; give {option('token')} (a bearer token every /api and "
                f"/dicomweb request must carry) or {option('insecure')} to serve it openly"
            )
        return self

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, text: str) -> Settings:
        values = json.loads(text)
        values["cors"] = tuple(values.get("cors") or ())
        return cls(**values)
