"""Typed settings read from ``CASEWORK_*`` environment variables.

``Settings.from_env()`` parses; ``Settings.validate()`` refuses unsafe production set-ups with a
message that says exactly what to set. Nothing here reads files or opens connections.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from zxcvbn import zxcvbn

ENVIRONMENTS = ("development", "testing", "production")
LANGUAGES = ("vi", "en")
ROLES = ("admin", "supervisor", "caseworker", "partner")
# Placeholder secrets people copy from examples; refused in production.
KNOWN_WEAK_SECRETS = frozenset({"", "dev", "secret", "changeme", "change-me", "development-only"})
DEV_SECRET_KEY = "development-only"  # noqa: S105 - refused by validate() outside development/testing
MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_BITS = 128
# The command the README and the error message give for a new secret (not a secret itself).
GENERATE_SECRET_COMMAND = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"  # noqa: S105
_PLACEHOLDER_WORDS = ("changeme", "change-me", "change_me", "secret", "example", "placeholder",
                      "password", "development", "replace", "your-", "xxxx")


class ConfigError(RuntimeError):
    """The configuration cannot run safely; the message says what to set."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    instance_path: Path = field(default_factory=lambda: Path("instance").resolve())
    database_url: str = ""
    secret_key: str = field(default=DEV_SECRET_KEY, repr=False)
    key_file: Path = field(default_factory=lambda: Path("instance/casework-keys.json").resolve())
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    default_language: str = "vi"
    mfa_required_roles: tuple[str, ...] = ("admin", "supervisor")
    login_attempts_before_lock: int = 5
    lock_minutes: int = 15
    login_rate_limit: str = "20 per minute"
    search_rate_limit: str = "30 per minute"
    ratelimit_storage_uri: str = "memory://"
    ratelimit_key_prefix: str = "casework"  # several apps sharing one Redis: one prefix each
    audit_verify_rate_limit: str = "5 per hour"
    audit_anchor_path: str = ""  # default: <instance>/audit-anchors.jsonl (audit/anchor.py)
    audit_anchor_minutes: int = 10  # opportunistic anchors after requests; 0 = only cron/verify
    set_password_link_hours: int = 72
    set_password_rate_limit: str = "10 per minute"  # noqa: S105 - a rate, not a password
    partner_link_days: int = 60  # a partner's one-time link (issue 12) expires after this
    partner_link_code_tries: int = 5  # wrong slip codes before the link locks
    partner_link_rate_limit: str = "20 per minute"
    import_check_rate_limit: str = "10 per hour"  # import dry runs per user (imports area)
    max_value_chars: int = 100_000  # the request guard's cap on any one value (forms: less)
    # CCCD numbers, phones and names + birth years an importer's dry runs may look up per day
    import_identity_checks_per_day: int = 5000
    import_read_seconds: int = 30  # time to read one uploaded file before it is refused
    import_staging_minutes: int = 30  # lifetime of a checked upload awaiting import
    backup_retention_days: int = 35
    blind_index_population: int = 200_000
    backdate_reason_days: int = 30
    small_count_suppression: int = 5
    smtp_host: str = ""
    smtp_port: int = 25
    mail_sender: str = "casework@localhost"
    public_url: str = "http://127.0.0.1:5000"
    # Outside channels (README, "Messages and reminders"): a channel is on when its address is set.
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    sms_url: str = ""
    sms_token: str = field(default="", repr=False)
    sms_sender: str = "Casework"
    zalo_url: str = ""
    zalo_access_token: str = field(default="", repr=False)
    zalo_template_id: str = ""
    quiet_hours: str = "21:00-07:00"  # Vietnam time; messages wait; "" = none
    outbox_digest_after: int = 5  # more messages than this a day, per channel: one digest
    outbox_digest_hour: int = 17  # when chosen daily digests go (Vietnam time)
    outbox_max_attempts: int = 6
    outbox_retry_seconds: int = 60  # first retry; doubles each time, at most 6 hours
    outbox_stall_minutes: int = 30  # readiness fails when messages wait longer (no worker)
    remind_before_days: int = 1  # partners reminded this many days before a response is due
    escalate_after_days: int = 3  # overdue this many days: the unit's supervisors are told
    # Bearer token for /metrics; empty: the endpoint answers 404 (metrics not exposed).
    metrics_token: str = field(default="", repr=False)
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (nginx: 1).
    proxy_hops: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        instance = Path(env.get("CASEWORK_INSTANCE_PATH", "instance")).resolve()
        mode = env.get("CASEWORK_ENV", "development").strip().lower()
        roles = tuple(
            r.strip()
            for r in env.get("CASEWORK_MFA_REQUIRED_ROLES", "admin,supervisor").split(",")
            if r.strip()
        )
        return cls(
            env=mode,
            instance_path=instance,
            database_url=env.get("CASEWORK_DATABASE_URL", "")
            or f"sqlite:///{instance / 'casework.sqlite3'}",
            secret_key=env.get(
                "CASEWORK_SECRET_KEY", DEV_SECRET_KEY if mode != "production" else ""
            ),
            key_file=Path(env.get("CASEWORK_KEY_FILE", str(instance / "casework-keys.json"))),
            session_idle_minutes=_int(env, "CASEWORK_SESSION_IDLE_MINUTES", 30),
            session_absolute_hours=_int(env, "CASEWORK_SESSION_ABSOLUTE_HOURS", 12),
            default_language=env.get("CASEWORK_DEFAULT_LANGUAGE", "vi").strip().lower(),
            mfa_required_roles=roles,
            login_attempts_before_lock=_int(env, "CASEWORK_LOGIN_ATTEMPTS_BEFORE_LOCK", 5),
            lock_minutes=_int(env, "CASEWORK_LOCK_MINUTES", 15),
            login_rate_limit=env.get("CASEWORK_LOGIN_RATE_LIMIT", "20 per minute"),
            search_rate_limit=env.get("CASEWORK_SEARCH_RATE_LIMIT", "30 per minute"),
            ratelimit_storage_uri=env.get("CASEWORK_RATELIMIT_STORAGE_URI", "memory://"),
            ratelimit_key_prefix=env.get("CASEWORK_RATELIMIT_KEY_PREFIX", "casework").strip(),
            audit_verify_rate_limit=env.get("CASEWORK_AUDIT_VERIFY_RATE_LIMIT", "5 per hour"),
            audit_anchor_path=env.get("CASEWORK_AUDIT_ANCHOR_PATH", "").strip(),
            audit_anchor_minutes=_int(env, "CASEWORK_AUDIT_ANCHOR_MINUTES", 10, minimum=0),
            set_password_link_hours=_int(env, "CASEWORK_SET_PASSWORD_LINK_HOURS", 72),
            set_password_rate_limit=env.get("CASEWORK_SET_PASSWORD_RATE_LIMIT", "10 per minute"),
            partner_link_days=_int(env, "CASEWORK_PARTNER_LINK_DAYS", 60),
            partner_link_code_tries=_int(env, "CASEWORK_PARTNER_LINK_CODE_TRIES", 5),
            partner_link_rate_limit=env.get("CASEWORK_PARTNER_LINK_RATE_LIMIT", "20 per minute"),
            import_check_rate_limit=env.get("CASEWORK_IMPORT_CHECK_RATE_LIMIT", "10 per hour"),
            max_value_chars=_int(env, "CASEWORK_MAX_VALUE_CHARS", 100_000, minimum=1000),
            import_identity_checks_per_day=_int(env, "CASEWORK_IMPORT_IDENTITY_CHECKS_PER_DAY",
                                                5000),
            import_read_seconds=_int(env, "CASEWORK_IMPORT_READ_SECONDS", 30),
            import_staging_minutes=_int(env, "CASEWORK_IMPORT_STAGING_MINUTES", 30),
            backup_retention_days=_int(env, "CASEWORK_BACKUP_RETENTION_DAYS", 35, minimum=0),
            blind_index_population=_int(env, "CASEWORK_BLIND_INDEX_POPULATION", 200_000),
            backdate_reason_days=_int(env, "CASEWORK_BACKDATE_REASON_DAYS", 30, minimum=0),
            small_count_suppression=_int(env, "CASEWORK_SMALL_COUNT_SUPPRESSION", 5, minimum=0),
            smtp_host=env.get("CASEWORK_SMTP_HOST", ""),
            smtp_port=_int(env, "CASEWORK_SMTP_PORT", 25),
            mail_sender=env.get("CASEWORK_MAIL_SENDER", "casework@localhost"),
            public_url=env.get("CASEWORK_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
            smtp_username=env.get("CASEWORK_SMTP_USERNAME", ""),
            smtp_password=env.get("CASEWORK_SMTP_PASSWORD", ""),
            smtp_starttls=env.get("CASEWORK_SMTP_STARTTLS", "").strip().lower()
            in ("1", "true", "yes", "on"),
            sms_url=env.get("CASEWORK_SMS_URL", "").strip(),
            sms_token=env.get("CASEWORK_SMS_TOKEN", ""),
            sms_sender=env.get("CASEWORK_SMS_SENDER", "Casework"),
            zalo_url=env.get("CASEWORK_ZALO_URL", "").strip(),
            zalo_access_token=env.get("CASEWORK_ZALO_ACCESS_TOKEN", ""),
            zalo_template_id=env.get("CASEWORK_ZALO_TEMPLATE_ID", "").strip(),
            quiet_hours=env.get("CASEWORK_QUIET_HOURS", "21:00-07:00").strip(),
            outbox_digest_after=_int(env, "CASEWORK_OUTBOX_DIGEST_AFTER", 5),
            outbox_digest_hour=_int(env, "CASEWORK_OUTBOX_DIGEST_HOUR", 17, minimum=0),
            outbox_max_attempts=_int(env, "CASEWORK_OUTBOX_MAX_ATTEMPTS", 6),
            outbox_retry_seconds=_int(env, "CASEWORK_OUTBOX_RETRY_SECONDS", 60),
            outbox_stall_minutes=_int(env, "CASEWORK_OUTBOX_STALL_MINUTES", 30),
            remind_before_days=_int(env, "CASEWORK_REMIND_BEFORE_DAYS", 1, minimum=0),
            escalate_after_days=_int(env, "CASEWORK_ESCALATE_AFTER_DAYS", 3),
            metrics_token=env.get("CASEWORK_METRICS_TOKEN", "").strip(),
            proxy_hops=_int(env, "CASEWORK_PROXY_HOPS", 0, minimum=0),
        )

    def validate(self) -> None:
        """Raise ConfigError for any setting that is invalid or unsafe in this environment."""
        if self.env not in ENVIRONMENTS:
            raise ConfigError(
                f"CASEWORK_ENV must be one of {', '.join(ENVIRONMENTS)}; got {self.env!r}"
            )
        if self.default_language not in LANGUAGES:
            raise ConfigError(f"CASEWORK_DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}")
        unknown = set(self.mfa_required_roles) - set(ROLES)
        if unknown:
            raise ConfigError(f"CASEWORK_MFA_REQUIRED_ROLES has unknown roles: {sorted(unknown)}")
        if self.outbox_digest_hour > 23:
            raise ConfigError("CASEWORK_OUTBOX_DIGEST_HOUR must be an hour from 0 to 23")
        if self.quiet_hours and parse_quiet_hours(self.quiet_hours) is None:
            raise ConfigError("CASEWORK_QUIET_HOURS must look like 21:00-07:00 (or be empty)")
        for name, url in (("CASEWORK_SMS_URL", self.sms_url), ("CASEWORK_ZALO_URL", self.zalo_url)):
            if url and not url.startswith(("https://", "http://")):
                raise ConfigError(f"{name} must be an http(s) URL")
        if self.zalo_url and not self.zalo_template_id:
            raise ConfigError("CASEWORK_ZALO_TEMPLATE_ID must be set when CASEWORK_ZALO_URL is")
        if self.env == "production":
            problem = secret_weakness(self.secret_key)
            if problem:
                raise ConfigError(
                    f"CASEWORK_SECRET_KEY {problem}. Set it to a random value of at least "
                    f"{MIN_SECRET_KEY_LENGTH} characters, e.g. the output of "
                    f"`{GENERATE_SECRET_COMMAND}`."
                )
            problem = secret_weakness(self.metrics_token) if self.metrics_token else None
            if problem:
                raise ConfigError(
                    f"CASEWORK_METRICS_TOKEN {problem}. Leave it empty (no /metrics) or set it "
                    f"to the output of `{GENERATE_SECRET_COMMAND}`."
                )

    def flask_config(self) -> dict[str, Any]:
        """The Flask/extension config mapping derived from these settings."""
        production = self.env == "production"
        cfg: dict[str, Any] = {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "TESTING": self.env == "testing",
            "SESSION_COOKIE_NAME": "casework_session",
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": production,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SECURE": production,
            "WTF_CSRF_TIME_LIMIT": None,  # bounded by the session lifetime instead
            # Pages send no Referer (Referrer-Policy: no-referrer keeps link tokens private),
            # so Flask-WTF's HTTPS-only Referer check would refuse every form behind TLS. The
            # token (tied to a server-side session), SameSite and Secure cookies and HSTS stay.
            "WTF_CSRF_SSL_STRICT": False,
            "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
            "MAX_FORM_MEMORY_SIZE": 2 * 1024 * 1024,
            "BABEL_DEFAULT_LOCALE": self.default_language,
            "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage_uri,
            "RATELIMIT_KEY_PREFIX": self.ratelimit_key_prefix,
            "RATELIMIT_HEADERS_ENABLED": False,
        }
        for f in fields(self):
            cfg[f"CASEWORK_{f.name.upper()}"] = getattr(self, f.name)
        return cfg


def parse_quiet_hours(text: str) -> tuple[int, int] | None:
    """``"21:00-07:00"`` as minutes after midnight (start, end), or None when malformed."""
    try:
        start, end = (part.strip() for part in text.split("-"))
        minutes = []
        for part in (start, end):
            hours, mins = part.split(":")
            if not (hours.isdigit() and mins.isdigit()):
                return None
            h, m = int(hours), int(mins)
            if h > 23 or m > 59:
                return None
            minutes.append(h * 60 + m)
    except ValueError:
        return None
    return (minutes[0], minutes[1]) if minutes[0] != minutes[1] else None


def secret_weakness(secret: str) -> str | None:
    """Why ``secret`` is unfit to sign sessions in production, or None when it is fit.

    Refused: missing, shorter than 32 characters, a known placeholder or containing one
    ("changeme", "secret", "example"...), or below 128 bits of entropy as zxcvbn estimates it
    (which catches repetition such as forty "a"s or "changeme" repeated, keyboard walks,
    sequences and dictionary words).
    """
    if secret in KNOWN_WEAK_SECRETS:
        return "is missing or a known placeholder"
    if len(secret) < MIN_SECRET_KEY_LENGTH:
        return f"is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    lowered = secret.lower()
    if any(word in lowered for word in _PLACEHOLDER_WORDS):
        return "looks like a placeholder"
    bits = zxcvbn(secret, max_length=256)["guesses_log10"] * 3.3219280948873626  # log2(10)
    if bits < MIN_SECRET_KEY_BITS:
        return (
            f"is too predictable (about {int(bits)} bits of estimated entropy; "
            f"at least {MIN_SECRET_KEY_BITS} are needed)"
        )
    return None
