"""Write a Vietnamese .po fragment from a Python dict of English → Vietnamese.

Usage (developers): python tools/po_fragment.py NAME < pairs.py  — where pairs.py defines ``PAIRS``.
Kept for editing convenience; the fragments under casework/translations/src/vi/ are the source.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po


def write_fragment(name: str, pairs: dict[str, str]) -> Path:
    catalog = Catalog(locale="vi", project="Casework", fuzzy=False)
    for msgid, msgstr in pairs.items():
        catalog.add(msgid, msgstr)
    path = Path(__file__).resolve().parent.parent / "casework/translations/src/vi" / f"{name}.po"
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=True)
    return path


if __name__ == "__main__":
    namespace: dict[str, dict[str, str]] = {}
    exec(sys.stdin.read(), namespace)  # noqa: S102 - a developer's own local file
    print(write_fragment(sys.argv[1], namespace["PAIRS"]))
