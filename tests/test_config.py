"""Settings: typed, validated, and refusing unsafe production set-ups with a clear message."""

from __future__ import annotations

import pytest

from casework import create_app
from casework.config import ConfigError, Settings
from tests.conftest import PRODUCTION_SECRET


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("dev", "missing"),
        ("changeme", "missing"),
        ("short-but-not-default", "shorter than 32"),
        ("a" * 40, "too predictable"),
        ("changeme" * 5, "placeholder"),
        ("s" * 48, "too predictable"),
        ("abcdefghijklmnopqrstuvwxyz0123456789abcdef", "too predictable"),
        ("qwertyuiopasdfghjklzxcvbnm1234567890qwerty", "too predictable"),
        ("your-secret-key-goes-here-please-1234567890", "placeholder"),
    ],
)
def test_production_refuses_a_missing_or_weak_secret_key(secret, reason, key_file, tmp_path):
    env = {
        "CASEWORK_ENV": "production",
        "CASEWORK_KEY_FILE": str(key_file),
        "CASEWORK_INSTANCE_PATH": str(tmp_path),
    }
    if secret is not None:
        env["CASEWORK_SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match="CASEWORK_SECRET_KEY") as refused:
        create_app(env)
    message = str(refused.value)
    assert reason in message
    assert "secrets.token_urlsafe(48)" in message, "the error says how to generate a secret"


def test_production_starts_with_a_strong_secret(key_file, tmp_path):
    key_file.chmod(0o600)
    app = create_app(
        {
            "CASEWORK_ENV": "production",
            "CASEWORK_SECRET_KEY": PRODUCTION_SECRET,
            "CASEWORK_KEY_FILE": str(key_file),
            "CASEWORK_INSTANCE_PATH": str(tmp_path),
            "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CASEWORK_SESSION_IDLE_MINUTES", "thirty", "whole number"),
        ("CASEWORK_SESSION_IDLE_MINUTES", "0", "at least 1"),
        ("CASEWORK_ENV", "staging", "CASEWORK_ENV must be one of"),
        ("CASEWORK_DEFAULT_LANGUAGE", "fr", "CASEWORK_DEFAULT_LANGUAGE"),
        ("CASEWORK_MFA_REQUIRED_ROLES", "admin,king", "unknown roles"),
    ],
)
def test_invalid_settings_say_what_is_wrong(name, value, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({name: value}).validate()


def test_defaults_are_the_documented_ones():
    settings = Settings.from_env({})
    assert settings.session_idle_minutes == 30
    assert settings.session_absolute_hours == 12
    assert settings.default_language == "vi"
    assert settings.mfa_required_roles == ("admin", "supervisor")
    assert "sqlite" in settings.database_url


def test_settings_never_show_secrets_in_repr():
    settings = Settings.from_env({"CASEWORK_SECRET_KEY": "super-secret-value-1234567890"})
    assert "super-secret-value" not in repr(settings)


def test_passwords_are_hashed_at_production_cost_outside_the_testing_configuration(
    key_file, tmp_path
):
    """The suite's cheap argon2 profile is for ``CASEWORK_ENV=testing`` only."""
    from argon2 import extract_parameters

    from casework.crypto.passwords import hash_password, verify_password

    key_file.chmod(0o600)
    production = create_app(
        {
            "CASEWORK_ENV": "production",
            "CASEWORK_SECRET_KEY": PRODUCTION_SECRET,
            "CASEWORK_KEY_FILE": str(key_file),
            "CASEWORK_INSTANCE_PATH": str(tmp_path),
            "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite3",
        }
    )
    with production.app_context():
        strong = hash_password("correct horse battery staple")
    params = extract_parameters(strong)
    assert (params.type.name, params.memory_cost, params.time_cost, params.parallelism) == (
        "ID",
        65536,
        3,
        4,
    )
    testing = create_app(
        {
            "CASEWORK_ENV": "testing",
            "CASEWORK_KEY_FILE": str(key_file),
            "CASEWORK_INSTANCE_PATH": str(tmp_path),
            "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path}/t.sqlite3",
        }
    )
    with testing.app_context():
        cheap = hash_password("correct horse battery staple")
        # A production hash still verifies under the testing profile: only the cost differs.
        assert verify_password(strong, "correct horse battery staple")
    assert extract_parameters(cheap).memory_cost < params.memory_cost
    with production.app_context():
        assert verify_password(cheap, "correct horse battery staple")
