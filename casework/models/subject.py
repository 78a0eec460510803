"""The per-woman data-key row and blind-index values (defined in ``casework.crypto.models``
so that importing the crypto package never runs ``casework.models``, whose models import
the crypto package)."""

from casework.crypto.models import BlindIndexEntry, Subject

__all__ = ["BlindIndexEntry", "Subject"]
