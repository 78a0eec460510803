"""Regenerate ``field_v1.json`` (run once; the committed file is the frozen reference).

    .venv/bin/python tests/crypto/vectors/make_vectors.py > tests/crypto/vectors/field_v1.json
"""

import json
import uuid
from datetime import date

from casework.crypto import primitives

KEY = bytes(range(32))
KEK = bytes(range(100, 132))
NONCE = bytes(range(12))
ROW = uuid.UUID("11111111-2222-4333-8444-555555555555")
SUBJECT = uuid.UUID("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee")


def main() -> None:
    field_key = primitives.field_key(KEY, "cases", "full_name_enc")
    cases = []
    samples = [("full_name_enc", "Nguyễn Thị Lan"), ("date_of_birth_enc", date(1990, 2, 3)),
               ("notes_enc", "")]
    for column, value in samples:
        key = primitives.field_key(KEY, "cases", column)
        blob = primitives.encrypt_field(key, primitives.encode_value(value), table="cases",
                                        column=column, row_id=ROW, subject_id=SUBJECT,
                                        dk_version=1, nonce=NONCE)
        cases.append({"table": "cases", "column": column, "value": str(value),
                      "type": type(value).__name__, "ciphertext": blob.hex()})
    wrapped = primitives.wrap_key(KEK, 1, KEY, subject_id=SUBJECT, dk_version=1, nonce=NONCE)
    index_key = primitives.index_key(KEY, "cases.phone")
    print(json.dumps({
        "data_key": KEY.hex(), "kek": KEK.hex(), "nonce": NONCE.hex(), "row_id": str(ROW),
        "subject_id": str(SUBJECT), "field_key_full_name": field_key.hex(), "fields": cases,
        "wrapped_key": wrapped.hex(),
        "blind_index": {
            "root": KEY.hex(), "index": "cases.phone", "term": "0912345678", "bits": 16,
            "value": primitives.truncated_hmac(index_key, "0912345678", 16),
        },
    }, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
