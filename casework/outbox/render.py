"""The words of a message: a kind, a reference and a link; nothing personal, ever."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# Kinds the outbox adds to the notices' kinds (services/notifications.py KINDS).
KINDS: dict[str, Any] = {
    "digest": _l("New notices"),
    "partner_link": _l("A referral is waiting for your answer"),
}


@dataclass(frozen=True)
class Text:
    subject: str
    body: str  # e-mail
    short: str  # SMS (one segment where the link allows)
    title: str  # Zalo template parameter
    url: str


def title_of(kind: str) -> Any:
    from casework.services import notifications  # notifications imports the outbox

    return KINDS.get(kind) or notifications.label(kind)


def absolute(link: str | None) -> str:
    base = str(current_app.config["CASEWORK_PUBLIC_URL"])
    if not link:
        return f"{base}/"
    return link if link.startswith(("https://", "http://")) else f"{base}{link}"


def render(kind: str, reference: str | None, link: str | None, locale: str,
           references: tuple[str, ...] = ()) -> Text:
    """Subject and bodies in the recipient's language. ``references`` lists a digest's."""
    url = absolute(link)
    with force_locale(locale):
        title = str(title_of(kind))
        lines = [title]
        if references:
            lines.append(_("%(count)d notices today. References: %(references)s",
                           count=len(references), references=", ".join(references)))
        elif reference:
            lines.append(_("Referral reference: %(reference)s", reference=reference))
        lines += ["", _("Log in to Casework to see it: %(url)s", url=url), "",
                  _("This message contains no personal details on purpose. Do not reply "
                    "with any.")]
        count = f" ({len(references)})" if references else ""
        short = f"Casework: {title}{count}." + (f" {reference}." if reference else "") + f" {url}"
        subject = _("Casework: %(title)s", title=title)
    return Text(subject=subject, body="\n".join(lines), short=short, title=title, url=url)
