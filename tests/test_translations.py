"""Every user-visible message has a Vietnamese translation; the interface is Vietnamese first."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from casework.i18n import load_fragments

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {
    "_": None,
    "gettext": None,
    "_l": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "lazy_ngettext": (1, 2),
}


def _extracted() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    method_map = [("casework/**.py", "python"), ("templates/**.html", "jinja2")]
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                found.setdefault(msgid, []).append(filename)
    return found


def test_every_message_has_a_vietnamese_translation():
    catalog = load_fragments("vi")
    missing = {
        msgid: files
        for msgid, files in _extracted().items()
        if catalog.get(msgid) is None or not catalog.get(msgid).string
    }
    assert not missing, (
        "messages without a Vietnamese translation (add them to a fragment under "
        f"casework/translations/src/vi/): {missing}"
    )


def test_placeholders_survive_translation():
    import re

    catalog = load_fragments("vi")
    pattern = re.compile(r"%\(\w+\)[sd]")
    wrong = [
        m.id
        for m in catalog
        if m.id and m.string and sorted(pattern.findall(m.id)) != sorted(pattern.findall(m.string))
    ]
    assert not wrong, f"translations that lose or add placeholders: {wrong}"


def test_login_page_is_vietnamese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in page
    assert "Đăng nhập" in page


def test_language_switch_is_remembered_for_the_user(app, make_user, login):
    user = make_user("caseworker")
    client = app.test_client()
    login(client, user)
    response = client.submit("/language", {"language": "en", "next": "/account"}, page="/account")
    assert response.headers["Location"] == "/account"
    assert "My account" in client.get("/account").get_data(as_text=True)
    # A new browser session of the same user comes back in English.
    other = app.test_client()
    login(other, user)
    assert '<html lang="en">' in other.get("/account").get_data(as_text=True)


def test_anonymous_language_switch_applies_to_the_login_page(client):
    client.submit("/language", {"language": "en", "next": "/login"}, page="/login")
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Log in" in page


def test_dates_are_day_month_year(app):
    from datetime import date

    from casework.i18n import fmt_date

    with app.test_request_context():
        assert fmt_date(date(2025, 3, 7)) == "07/03/2025"
