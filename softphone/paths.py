"""Where the profile keeps its configuration, data and logs.

With ``--profile DIR`` everything lives under DIR; otherwise in the OS's user
directories (platformdirs). Imports no Qt.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "softphone"


@dataclass(frozen=True)
class Profile:
    config_dir: Path
    data_dir: Path
    log_dir: Path

    @classmethod
    def from_dir(cls, root: Path) -> Profile:
        root = root.expanduser().resolve()
        return cls(config_dir=root / "config", data_dir=root / "data", log_dir=root / "logs")

    @classmethod
    def default(cls) -> Profile:
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME)),
            log_dir=Path(platformdirs.user_log_dir(APP_NAME)),
        )

    @classmethod
    def resolve(cls, profile_dir: str | os.PathLike[str] | None) -> Profile:
        return cls.from_dir(Path(profile_dir)) if profile_dir else cls.default()

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.toml"

    @property
    def provisioned_file(self) -> Path:
        """The last copy of the provisioning document, so the app starts offline."""
        return self.config_dir / "provisioned.toml"

    @property
    def clear_history_file(self) -> Path:
        """Where earlier versions kept the call history, unencrypted (moved at start)."""
        return self.data_dir / "softphone.sqlite3"

    @property
    def cache_file(self) -> Path:
        """The encrypted cache of customer data and the outbox of records for the CRM."""
        return self.data_dir / "cache.sqlite3"

    @property
    def instance_name(self) -> str:
        """A short name unique to this profile, for the single-instance socket."""
        digest = hashlib.sha256(str(self.config_dir).encode()).hexdigest()[:16]
        return f"{APP_NAME}-{digest}"

    def create(self) -> None:
        for directory in (self.config_dir, self.data_dir, self.log_dir):
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)


def system_settings_file() -> Path:
    """The system-wide settings file IT deploys (overridable for tests and packaging)."""
    override = os.environ.get("SOFTPHONE_SYSTEM_SETTINGS")
    if override:
        return Path(override)
    return Path(platformdirs.site_config_dir(APP_NAME)) / "settings.toml"
