"""Languages: locale selection, date formats, and compilation of the translation catalogues.

Translations live as one ``.po`` fragment per area under ``casework/translations/src/vi/``, so that
areas can be worked on without editing one shared file. ``compile_catalogues()`` merges them into
``casework/translations/vi/LC_MESSAGES/messages.mo`` (git-ignored, rebuilt by ``make`` and by the
test suite). English is the source language and needs no catalogue.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime
from flask_login import current_user

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_DIR = PACKAGE_DIR / "translations" / "src"
OUTPUT_DIR = PACKAGE_DIR / "translations"
SUPPORTED = ("vi", "en")


def load_fragments(language: str = "vi") -> Catalog:
    """Merge every ``.po`` fragment of ``language``; a msgid defined twice must agree."""
    merged = Catalog(locale=language, domain="messages")
    for path in sorted((SOURCE_DIR / language).glob("*.po")):
        with path.open("rb") as fh:
            fragment = read_po(fh, locale=language)
        for message in fragment:
            if not message.id:
                continue
            existing = merged.get(message.id, message.context)
            if existing is not None and existing.string != message.string:
                raise ValueError(
                    f"{path.name}: {message.id!r} is translated differently in another fragment"
                )
            merged.add(message.id, message.string, context=message.context)
    return merged


def compile_catalogues() -> list[Path]:
    """Write the compiled ``messages.mo`` for each translated language; return the paths."""
    written = []
    for language in SUPPORTED:
        if not (SOURCE_DIR / language).is_dir():
            continue
        catalog = load_fragments(language)
        target = OUTPUT_DIR / language / "LC_MESSAGES" / "messages.mo"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as fh:
            write_mo(fh, catalog)
        written.append(target)
    return written


def select_locale() -> str:
    """The signed-in user's language, else the one chosen in this browser, else the default."""
    if not has_request_context():  # CLI commands and services run outside requests
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    user_language = getattr(current_user, "language", None) if current_user else None
    if user_language in SUPPORTED:
        return str(user_language)
    chosen = session.get("language")
    if chosen in SUPPORTED:
        return str(chosen)
    if request.args.get("lang") in SUPPORTED:
        return str(request.args["lang"])
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def fmt_date(value: date | datetime | None) -> str:
    """dd/mm/yyyy in both languages (what Vietnamese forms and users expect)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return str(format_datetime(value, "dd/MM/yyyy"))
    return str(format_date(value, "dd/MM/yyyy"))


def fmt_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return str(format_datetime(value, "dd/MM/yyyy HH:mm"))
