"""Key operations for the `flask keys ...` commands.

The work that touches key bytes lives in :mod:`casework.crypto.rotation` (the crypto package
is the only code that handles keys); this module is the service-layer name for it.
"""

from casework.crypto.rotation import (
    KeyUse,
    add_kek,
    backfill_index,
    destroy_index_keys,
    destroy_kek,
    present_models,
    promote_kek,
    remaining_to_rewrap,
    retire_index_keys,
    rewrap_batch,
    rewrap_page,
    rotate_subject,
    stage_index_key,
    status,
    switch_index,
)

__all__ = [
    "KeyUse",
    "add_kek",
    "backfill_index",
    "destroy_index_keys",
    "destroy_kek",
    "present_models",
    "promote_kek",
    "remaining_to_rewrap",
    "retire_index_keys",
    "rewrap_batch",
    "rewrap_page",
    "rotate_subject",
    "stage_index_key",
    "status",
    "switch_index",
]
