"""Every model module is imported here so that metadata (and Alembic) sees all tables."""

from casework.models import org, provider, user  # noqa: F401

from casework.models import audit, subject  # noqa: F401,E402  (confidentiality core)
from casework.models import case, consent, need, referral  # noqa: F401,E402  (case records)
from casework.models import notification  # noqa: F401  (referral network)
from casework.models import timeline  # noqa: F401,E402  (case notes and follow-ups)
from casework.models import supervision  # noqa: F401,E402  (supervision)
from casework.models import imports  # noqa: F401,E402  (imports of existing records)
