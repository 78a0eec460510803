"""Every model module is imported here so that metadata (and Alembic) sees all tables."""

from casework.models import (  # noqa: F401
    account_link,  # one-time set-password links
    activity,  # the union's own activity (targets 1-4, 7, 8)
    audit,  # the confidentiality core
    case,  # case records
    consent,
    form_token,  # create forms submitted once
    imports,  # imports of existing records
    indicator,  # stored target-5 figures
    need,
    notification,  # referral network
    org,
    outbox,  # messages, channel choices, reminders sent
    partner_link,  # one-time links for partners without an account
    provider,
    referral,
    retention,  # retention schedule and decisions (issue 19)
    subject,
    supervision,
    timeline,  # case notes and follow-ups
    tipoff,  # target 6: tip-offs and complaints
    user,
)
