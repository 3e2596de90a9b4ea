"""Configuration as data: one frozen object read from the environment (and a `.env` file),
with the settings the secretary stores in /admin laid under it (`with_stored_settings`)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping

DEFAULT_DATABASE_URL = "sqlite:///kmbot.db"
DEFAULT_LINE_API_BASE_URL = "https://api.line.me"
MAX_WEBHOOK_BODY_BYTES = 1024 * 1024
DEFAULT_QUESTION_RATE = "10/minute"


_UNITS = {"second": 1, "minute": 60, "hour": 3600}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(?:(\d+)\s*)?(second|minute|hour)s?\s*$")


@dataclass(frozen=True)
class QuestionRate:
    """At most `limit` questions per user in any `window`."""

    limit: int
    window: timedelta


def parse_question_rate(text: str) -> QuestionRate | None:
    """`"10/minute"`, `"30/5 minutes"`, `"100/hour"`; `"off"` or `"0"` turns the limit off (None)."""
    cleaned = text.strip().lower()
    if cleaned in ("", "off", "0", "none"):
        return None
    match = _RATE.match(cleaned)
    if match is None:
        raise ValueError(f"a question rate looks like '10/minute' or '30/5 minutes', got {text!r}")
    limit, count, unit = int(match.group(1)), int(match.group(2) or 1), match.group(3)
    if limit == 0:
        return None
    if count == 0:
        raise ValueError(f"a question rate needs a window longer than zero, got {text!r}")
    return QuestionRate(limit=limit, window=timedelta(seconds=count * _UNITS[unit]))


# Public holidays are known this many years either side of today: a plan covers one fiscal year,
# and reminders are planned for the years on either side of it.
PUBLIC_HOLIDAY_YEARS_AROUND = 5


@lru_cache(maxsize=8)
def thai_public_holidays(first_year: int, last_year: int) -> frozenset[date]:
    """Thailand's public holidays (with the days in lieu) of the years, from the `holidays` package.

    National Labour Day is left out: it is a holiday for private employers, and government
    offices work on it.
    """
    # The English names alone (not the Thai ones the settings page shows): every process
    # start builds a Config, and each calendar of eleven years costs about a tenth of a second.
    import holidays

    english = holidays.Thailand(years=range(first_year, last_year + 1), categories=("public",))
    return frozenset(day for day, name in english.items() if "Labor Day" not in name)


@lru_cache(maxsize=8)
def thai_public_holiday_names(first_year: int, last_year: int) -> dict[date, str]:
    """The same days with their Thai names (วันขึ้นปีใหม่, ...), as the settings page lists them."""
    import holidays

    years = range(first_year, last_year + 1)
    english = holidays.Thailand(years=years, categories=("public",))
    thai = holidays.Thailand(years=years, categories=("public",), language="th")
    return {day: thai.get(day, name) for day, name in sorted(english.items()) if "Labor Day" not in name}


def _dates(days: Iterable[date | str]) -> set[date]:
    return {day if isinstance(day, date) else date.fromisoformat(str(day).strip()) for day in days}


@dataclass(frozen=True)
class Config:
    """Everything the app needs to know about its surroundings.

    Built from the environment by `Config.from_environment`; tests pass overrides.
    """

    line_channel_secret: str | None = None
    line_channel_access_token: str | None = None
    line_api_base_url: str = DEFAULT_LINE_API_BASE_URL
    database_url: str = DEFAULT_DATABASE_URL
    admin_password: str | None = None
    staff_count: int | None = None
    public_base_url: str | None = None
    secret_key: str | None = None
    # Proxies in front of the app whose X-Forwarded-* headers are trusted (0: none, so a client
    # cannot fake its address or HTTPS); set to 1 behind one reverse proxy such as a PaaS router.
    trusted_proxies: int = 0
    # LINE answers in well under a second; a slow API must not hold the webhook past LINE's timeout.
    line_request_timeout_seconds: float = 5.0
    # All attempts of one reply together: the reply is sent inside LINE's webhook request.
    line_reply_budget_seconds: float = 10.0
    line_max_attempts: int = 4
    line_backoff_seconds: float = 0.5
    line_backoff_cap_seconds: float = 8.0
    max_webhook_body_bytes: int = MAX_WEBHOOK_BODY_BYTES
    # Reminders to the KM committee: the hour (Bangkok), days before a deadline, public holidays
    # (a reminder on one moves to the working day before) and how late a reminder may still go out.
    reminder_hour: int = 9
    reminder_days_before: tuple[int, ...] = (7, 1)
    reminder_holidays: tuple[date, ...] = ()
    # The office's own days as given (KMBOT_HOLIDAYS or the settings page), before the public
    # holidays are added to `reminder_holidays`; None: the same as `reminder_holidays` was given.
    office_holidays: tuple[date, ...] | None = None
    # Thailand's public holidays (the `holidays` package) are holidays as well unless this is
    # off (KMBOT_PUBLIC_HOLIDAYS=off); the office's own list (KMBOT_HOLIDAYS) adds to them.
    public_holidays: bool = True
    reminder_grace_hours: float = 24.0
    # Overdue reminders stop at the end of the deadline's fiscal year (KMBOT_OVERDUE_UNTIL_YEAR_END=off
    # keeps sending them, up to the policy's count, into the next year).
    overdue_until_fiscal_year_end: bool = True
    # The start and week-before reminders join the digest of the first working day of their week
    # (KMBOT_REMINDER_LOOK_AHEAD=off sends each on its own day): fewer pushes against the quota.
    reminder_weekly_look_ahead: bool = True
    # The weekly knowledge push to staff groups, e.g. "mon 09:30"; None keeps it off, because
    # every push to a group spends one message of the LINE plan's quota per member.
    knowledge_push_schedule: str | None = None
    # Each working day at the reminder hour, the committee groups get the 👎 presses since the last one.
    feedback_digest: bool = True
    knowledge_push_article_id: int | None = None
    # Set on the web processes of a deployment with a separate clock process: /healthz then
    # fails when the clock's heartbeat stops, instead of reminders silently not going out.
    expect_clock: bool = False
    # Questions one user may ask in a window (KMBOT_QUESTION_RATE); None: no limit.
    question_rate: QuestionRate | None = field(default_factory=lambda: parse_question_rate(DEFAULT_QUESTION_RATE))
    # The reach report: the organisation's name on every export's title (KMBOT_ORGANISATION),
    # and channels besides LINE the office declares real staff traffic (KMBOT_REACH_CHANNELS,
    # e.g. "web" when staff use the web chat for work); simulator traffic is never evidence otherwise.
    organisation_name: str | None = None
    # The division running the KM plan (e.g. กองยุทธศาสตร์และงบประมาณ), shown with the organisation.
    division_name: str | None = None
    reach_channels: tuple[str, ...] = ()
    # LINE's content host (api-data.line.me), where photos and files sent in a chat are fetched;
    # None derives it from line_api_base_url (a stub or proxy then serves both).
    line_data_api_base_url: str | None = None
    # Evidence files of the plan's activities: the folder (KMBOT_EVIDENCE_DIR; None keeps them
    # beside the SQLite database), the largest file taken, and how long after `/done` files sent
    # by the same person in the same chat attach to the activity.
    evidence_dir: str | None = None
    evidence_max_bytes: int = 20 * 1024 * 1024
    evidence_window_minutes: int = 30
    # Questions for the experts group: an open question older than this many hours is shown
    # once more in the group's daily digest (at the reminder hour); its asker is told honestly
    # after this many days without an answer; one person may send this many a day.
    expert_resurface_hours: float = 48.0
    expert_give_up_days: int = 7
    expert_questions_per_day: int = 5
    # Which of the secretary's settings the environment set (field names): those win over the
    # stored ones, and the settings page says so.
    environment_fields: frozenset[str] = frozenset()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.public_base_url is not None:
            object.__setattr__(self, "public_base_url", validate_public_url(self.public_base_url))
        holidays = _dates(self.reminder_holidays)
        if self.office_holidays is None:
            object.__setattr__(self, "office_holidays", tuple(sorted(holidays)))
        if self.public_holidays:
            from bot.core.calendar import today

            year = today().year
            holidays |= thai_public_holidays(year - PUBLIC_HOLIDAY_YEARS_AROUND, year + PUBLIC_HOLIDAY_YEARS_AROUND)
        object.__setattr__(self, "reminder_holidays", tuple(sorted(holidays)))

    @property
    def organisation_title(self) -> str | None:
        """The name on a report's title: the division and the organisation, as set."""
        return " ".join(part for part in (self.division_name, self.organisation_name) if part) or None

    @property
    def line_configured(self) -> bool:
        """True when the bot can talk to LINE; otherwise it runs in local mode."""
        return bool(self.line_channel_secret and self.line_channel_access_token)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> "Config":
        environ = os.environ if environ is None else environ
        staff_count = environ.get("KMBOT_STAFF_COUNT", "").strip()
        return cls(
            line_channel_secret=environ.get("LINE_CHANNEL_SECRET") or None,
            line_channel_access_token=environ.get("LINE_CHANNEL_ACCESS_TOKEN") or None,
            line_api_base_url=(environ.get("LINE_API_BASE_URL") or DEFAULT_LINE_API_BASE_URL).rstrip("/"),
            database_url=normalize_database_url(environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            admin_password=environ.get("KMBOT_ADMIN_PASSWORD") or None,
            staff_count=int(staff_count) if staff_count else None,
            public_base_url=(environ.get("KMBOT_PUBLIC_URL") or "").rstrip("/") or None,
            secret_key=environ.get("KMBOT_SECRET_KEY") or None,
            trusted_proxies=int(environ.get("KMBOT_TRUSTED_PROXIES") or 0),
            reminder_hour=int(environ.get("KMBOT_REMINDER_HOUR") or 9),
            reminder_days_before=_integers(environ.get("KMBOT_REMINDER_DAYS_BEFORE") or "7,1"),
            reminder_holidays=tuple(date.fromisoformat(day) for day in _items(environ.get("KMBOT_HOLIDAYS") or "")),
            public_holidays=(environ.get("KMBOT_PUBLIC_HOLIDAYS") or "on").strip().lower() not in ("0", "off", "false", "no"),
            reminder_grace_hours=float(environ.get("KMBOT_REMINDER_GRACE_HOURS") or 24),
            overdue_until_fiscal_year_end=_switch(environ.get("KMBOT_OVERDUE_UNTIL_YEAR_END") or "on"),
            reminder_weekly_look_ahead=_switch(environ.get("KMBOT_REMINDER_LOOK_AHEAD") or "on"),
            knowledge_push_schedule=(environ.get("KMBOT_KNOWLEDGE_PUSH") or "").strip() or None,
            feedback_digest=_switch(environ.get("KMBOT_FEEDBACK_DIGEST") or "on"),
            knowledge_push_article_id=int(environ["KMBOT_KNOWLEDGE_PUSH_ARTICLE"]) if environ.get("KMBOT_KNOWLEDGE_PUSH_ARTICLE") else None,
            expect_clock=(environ.get("KMBOT_EXPECT_CLOCK") or "").strip().lower() in ("1", "true", "yes", "on"),
            question_rate=parse_question_rate(environ.get("KMBOT_QUESTION_RATE") or DEFAULT_QUESTION_RATE),
            organisation_name=(environ.get("KMBOT_ORGANISATION") or "").strip() or None,
            division_name=(environ.get("KMBOT_DIVISION") or "").strip() or None,
            reach_channels=tuple(_items(environ.get("KMBOT_REACH_CHANNELS") or "")),
            line_data_api_base_url=(environ.get("LINE_DATA_API_BASE_URL") or "").rstrip("/") or None,
            evidence_dir=(environ.get("KMBOT_EVIDENCE_DIR") or "").strip() or None,
            evidence_max_bytes=int(environ.get("KMBOT_EVIDENCE_MAX_MB") or 20) * 1024 * 1024,
            evidence_window_minutes=int(environ.get("KMBOT_EVIDENCE_WINDOW_MINUTES") or 30),
            expert_resurface_hours=float(environ.get("KMBOT_EXPERT_RESURFACE_HOURS") or 48),
            expert_give_up_days=int(environ.get("KMBOT_EXPERT_GIVE_UP_DAYS") or 7),
            expert_questions_per_day=int(environ.get("KMBOT_EXPERT_QUESTIONS_PER_DAY") or 5),
            environment_fields=frozenset(
                setting.field for setting in EDITABLE_SETTINGS if (environ.get(setting.variable) or "").strip()
            ),
        )

    def with_overrides(self, overrides: Mapping[str, Any]) -> "Config":
        known = {name for name in self.__dataclass_fields__}
        unknown = {key: value for key, value in overrides.items() if key not in known}
        values = {key: value for key, value in overrides.items() if key in known}
        if "database_url" in values:
            values["database_url"] = normalize_database_url(values["database_url"])
        if unknown:
            values["extra"] = {**self.extra, **unknown}
        if "reminder_holidays" in values and "office_holidays" not in values:
            values["office_holidays"] = None
        return replace(self, **values)


class ConfigError(ValueError):
    """A setting kmbot cannot run with; the message says which and how to fix it."""


_PERCENT_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def validate_public_url(url: str) -> str:
    """KMBOT_PUBLIC_URL as LINE will take it in a uri action: http(s), a host, nothing that
    needs percent-encoding. Every answer card's "อ่านต่อ" button carries it, and LINE refuses the
    whole reply when one uri is invalid (Messaging API reference, #uri-action: http, https,
    line and tel schemes, at most 1,000 characters), so a bad value is refused at start-up."""
    from urllib.parse import urlsplit

    cleaned = url.strip().rstrip("/")
    hint = "set it to the public https address, e.g. KMBOT_PUBLIC_URL=https://kmbot.example.go.th"
    parts = urlsplit(cleaned)
    if parts.scheme not in ("https", "http"):
        raise ConfigError(f"KMBOT_PUBLIC_URL {url!r} has no http(s) scheme; {hint}")
    if not parts.hostname or " " in cleaned:
        raise ConfigError(f"KMBOT_PUBLIC_URL {url!r} has no host name; {hint}")
    if parts.query or parts.fragment:
        raise ConfigError(f"KMBOT_PUBLIC_URL {url!r} must not have a query or fragment; {hint}")
    if any(ord(character) > 0x7E or character in '"<>\\^`{|}' for character in cleaned) or _PERCENT_ESCAPE.search(cleaned):
        raise ConfigError(
            f"KMBOT_PUBLIC_URL {url!r} has characters that must be percent-encoded "
            f"(a Thai domain must be written in its xn-- form); {hint}"
        )
    if len(cleaned) > 900:
        raise ConfigError(f"KMBOT_PUBLIC_URL is {len(cleaned)} characters; LINE takes links of at most 1,000")
    return cleaned


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _integers(text: str) -> tuple[int, ...]:
    return tuple(int(item) for item in _items(text))


def normalize_database_url(url: str) -> str:
    """Accept the `postgres://` scheme hosting platforms hand out, and use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


# --- the settings the secretary edits in /admin ------------------------------------------------


@dataclass(frozen=True)
class EditableSetting:
    """A Config field the settings page edits: its environment variable (which wins when set)
    and how the stored text becomes the field's value."""

    field: str
    variable: str
    parse: Callable[[str], Any]


def _positive_integer(text: str) -> int | None:
    cleaned = text.strip().replace(",", "")
    if not cleaned:
        return None
    value = int(cleaned)
    if value <= 0:
        raise ValueError(f"a positive whole number is needed, got {text!r}")
    return value


def _hour(text: str) -> int:
    value = int(text.strip())
    if not 0 <= value <= 23:
        raise ValueError(f"an hour is 0..23, got {text!r}")
    return value


def _days_before(text: str) -> tuple[int, ...]:
    days = _integers(text)
    if any(day < 1 or day > 90 for day in days):
        raise ValueError(f"days before a deadline are 1..90, got {text!r}")
    return tuple(sorted(set(days), reverse=True))


def _grace_hours(text: str) -> float:
    value = float(text.strip())
    if not 0 < value <= 24 * 14:
        raise ValueError(f"the grace is more than 0 and at most 336 hours, got {text!r}")
    return value


def _switch(text: str) -> bool:
    return text.strip().lower() not in ("0", "off", "false", "no", "")


def _optional_text(text: str) -> str | None:
    return text.strip() or None


def _optional_url(text: str) -> str | None:
    return validate_public_url(text) if text.strip() else None


def _holiday_dates(text: str) -> tuple[date, ...]:
    """Stored as ISO dates, one a line, each optionally followed by the day's name."""
    return tuple(sorted(date.fromisoformat(line.split()[0]) for line in text.splitlines() if line.strip()))


EDITABLE_SETTINGS: tuple[EditableSetting, ...] = (
    EditableSetting("organisation_name", "KMBOT_ORGANISATION", _optional_text),
    EditableSetting("division_name", "KMBOT_DIVISION", _optional_text),
    EditableSetting("staff_count", "KMBOT_STAFF_COUNT", _positive_integer),
    EditableSetting("public_base_url", "KMBOT_PUBLIC_URL", _optional_url),
    EditableSetting("reminder_hour", "KMBOT_REMINDER_HOUR", _hour),
    EditableSetting("reminder_days_before", "KMBOT_REMINDER_DAYS_BEFORE", _days_before),
    EditableSetting("reminder_grace_hours", "KMBOT_REMINDER_GRACE_HOURS", _grace_hours),
    EditableSetting("overdue_until_fiscal_year_end", "KMBOT_OVERDUE_UNTIL_YEAR_END", _switch),
    EditableSetting("reminder_weekly_look_ahead", "KMBOT_REMINDER_LOOK_AHEAD", _switch),
    EditableSetting("knowledge_push_schedule", "KMBOT_KNOWLEDGE_PUSH", _optional_text),
    EditableSetting("knowledge_push_article_id", "KMBOT_KNOWLEDGE_PUSH_ARTICLE", _positive_integer),
    EditableSetting("question_rate", "KMBOT_QUESTION_RATE", parse_question_rate),
    EditableSetting("public_holidays", "KMBOT_PUBLIC_HOLIDAYS", _switch),
    EditableSetting("office_holidays", "KMBOT_HOLIDAYS", _holiday_dates),
)
SETTINGS_BY_FIELD = {setting.field: setting for setting in EDITABLE_SETTINGS}


def parse_setting(field_name: str, text: str) -> Any:
    """The value a stored setting's text gives; ValueError (or ConfigError) when it cannot."""
    return SETTINGS_BY_FIELD[field_name].parse(text)


def with_stored_settings(config: Config, stored: Mapping[str, str]) -> Config:
    """`config` with the stored settings laid under it: a field the environment set keeps its
    value; a stored text that no longer parses is skipped (the page shows it as an error)."""
    values: dict[str, Any] = {}
    for field_name, text in stored.items():
        if field_name not in SETTINGS_BY_FIELD or field_name in config.environment_fields:
            continue
        try:
            values[field_name] = parse_setting(field_name, text)
        except (ValueError, ConfigError):
            continue
    if not values:
        return config
    if "office_holidays" in values or "public_holidays" in values:
        # The public days are added again from the office's own list, so switching them off works.
        values["reminder_holidays"] = values.get("office_holidays", config.office_holidays or ())
        values.setdefault("office_holidays", config.office_holidays or ())
    return replace(config, **values)
