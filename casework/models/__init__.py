"""Every model module is imported here so that metadata (and Alembic) sees all tables."""

from casework.models import (  # noqa: F401
    account_link,  # one-time set-password links
    audit,  # the confidentiality core
    case,  # case records
    consent,
    imports,  # imports of existing records
    indicator,  # stored target-5 figures
    need,
    notification,  # referral network
    org,
    partner_link,  # one-time links for partners without an account
    provider,
    referral,
    subject,
    supervision,
    timeline,  # case notes and follow-ups
    user,
)
