"""Every model module is imported here so that metadata (and Alembic) sees all tables."""

from casework.models import (  # noqa: F401
    account_link,  # one-time set-password links
    audit,  # the confidentiality core
    case,  # case records
    consent,
    form_token,  # create forms submitted once
    imports,  # imports of existing records
    indicator,  # stored target-5 figures
    need,
    notification,  # referral network
    org,
    provider,
    referral,
    subject,
    supervision,
    timeline,  # case notes and follow-ups
    user,
)
