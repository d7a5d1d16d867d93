"""Opening the office database: SQLite (zero setup, WAL) by default, PostgreSQL by URL.

``open_database(url)`` returns an engine whose schema is brought up to date by Alembic, so
``kiosk-server init`` and ``serve`` never need a separate migration step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from server.exc import ServerConfigError

MIGRATIONS = Path(__file__).with_name("migrations")


def database_url(value: str | Path) -> str:
    """A SQLAlchemy URL from a URL or a plain file path (a SQLite file)."""
    text = str(value)
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    if text.startswith(("postgresql://", "postgres://")):
        # psycopg 3 is the driver shipped with the server extra.
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return text


def make_engine(url: str | Path, **options: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and enforced foreign keys."""
    text = database_url(url)
    try:
        parsed = make_url(text)
    except ArgumentError as error:
        raise ServerConfigError(f"{text!r} is not a database URL ({error})") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and Path(parsed.database).is_dir():
            raise ServerConfigError(
                f"{parsed.database} is a folder; name the database file, such as "
                f"{Path(parsed.database) / 'office.db'}"
            )
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(text, connect_args={"timeout": 30}, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options.setdefault("pool_size", 20)
    options.setdefault("max_overflow", 20)
    return create_engine(text, pool_pre_ping=True, **options)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: in WAL mode NORMAL skips the fsync at commit, so a power cut can take back the last
    # transactions after the kiosk was told "stored" and marked its events synced.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision of every branch."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")  # branches made in parallel are all applied


def open_database(url: str | Path) -> sessionmaker[Session]:
    """A session factory on an up-to-date database."""
    engine = make_engine(url)
    migrate(engine)
    return sessionmaker(engine, expire_on_commit=False)
