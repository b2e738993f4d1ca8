"""Row checks of people (with their emails and phone numbers) and households. A failing
email or phone number quarantines that contact only; the person is merged without it."""
from __future__ import annotations

from datetime import date

from pco_sync import sqlfiles
from pco_sync.quality.frames import (Check, Frame, as_date, as_text, column, id_check,
                                     stripped, visible)

STATUSES = ["active", "inactive"]
MIN_BIRTHDATE = date(1900, 1, 1)
MAX_NAME_LENGTH = 255  # real names never get near it; megabyte names are junk
# One @, no spaces, a dotted domain; trimmed first (PCO keeps stray spaces as typed).
EMAIL_PATTERN = r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$"
PHONE_PATTERN = r"\d"  # a phone number with no digit at all ("n/a", "xxx-xxx-xxxx")


def _derive_people(df, today):
    for c in ("id", "first_name", "last_name", "birthdate", "status"):
        df[c] = column(df, c, as_text)
    df["id_value"] = column(df, "id", stripped)
    df["full_name"] = column(df, "first_name", lambda v: v or "") + \
        column(df, "last_name", lambda v: v or "")
    df["name"] = column(df, "full_name", visible)
    df["birthdate_date"] = column(df, "birthdate", as_date)
    return df


def _derive_emails(df, today):
    df["address"] = column(df, "address", as_text)
    df["address_trimmed"] = column(df, "address", stripped)
    return df


def _derive_phones(df, today):
    df["number"] = column(df, "number", as_text)
    return df


def _derive_households(df, today):
    for c in ("id", "name"):
        df[c] = column(df, c, as_text)
    df["id_value"] = column(df, "id", stripped)
    df["name_value"] = column(df, "name", visible)
    df["members"] = df["members"].astype("int64")
    return df


PEOPLE = (
    Frame(
        "people",
        sqlfiles.read("quality/frame_people.sql"),
        _derive_people,
        ("pco_id", "first_name", "last_name", "birthdate", "status"),
        (
            id_check(),
            Check("name_present", "first and last name are both blank",
                  lambda E, today: [E.ExpectColumnValuesToNotBeNull(column="name")]),
            Check("name_length", f"a name is longer than {MAX_NAME_LENGTH} characters",
                  lambda E, today: [
                      E.ExpectColumnValueLengthsToBeBetween(column=c, max_value=MAX_NAME_LENGTH)
                      for c in ("first_name", "last_name")]),
            Check("birthdate_valid",
                  "birthdate {birthdate!r} is not a date between 1900-01-01 and today",
                  lambda E, today: [
                      E.ExpectColumnValuesToMatchStrftimeFormat(column="birthdate",
                                                                strftime_format="%Y-%m-%d"),
                      E.ExpectColumnValuesToBeBetween(column="birthdate_date",
                                                      min_value=MIN_BIRTHDATE,
                                                      max_value=today)]),
            Check("status_known", "status {status!r} is not one of " + ", ".join(STATUSES),
                  lambda E, today: [E.ExpectColumnValuesToNotBeNull(column="status"),
                                    E.ExpectColumnValuesToBeInSet(column="status",
                                                                  value_set=STATUSES)]),
        ),
    ),
    Frame(
        "people_emails",
        sqlfiles.read("quality/frame_people_emails.sql"),
        _derive_emails,
        ("pco_id", "email_id", "address"),
        (
            Check("email_format", "email {email_id} {address!r} is not an email address",
                  lambda E, today: [E.ExpectColumnValuesToNotBeNull(column="address_trimmed"),
                                    E.ExpectColumnValuesToMatchRegex(column="address_trimmed",
                                                                     regex=EMAIL_PATTERN)]),
        ),
        contact=("email", "email_id"),
    ),
    Frame(
        "people_phone_numbers",
        sqlfiles.read("quality/frame_people_phone_numbers.sql"),
        _derive_phones,
        ("pco_id", "phone_id", "number"),
        (
            Check("phone_has_digits", "phone number {phone_id} {number!r} has no digits",
                  lambda E, today: [E.ExpectColumnValuesToNotBeNull(column="number"),
                                    E.ExpectColumnValuesToMatchRegex(column="number",
                                                                     regex=PHONE_PATTERN)]),
        ),
        contact=("phone_number", "phone_id"),
    ),
)

HOUSEHOLDS = (
    Frame(
        "households",
        sqlfiles.read("quality/frame_households.sql"),
        _derive_households,
        ("pco_id", "name", "members"),
        (
            id_check(),
            Check("name_present", "the household has no name",
                  lambda E, today: [E.ExpectColumnValuesToNotBeNull(column="name_value")]),
            Check("has_members", "the household has no members",
                  lambda E, today: [E.ExpectColumnValuesToBeBetween(column="members",
                                                                    min_value=1)]),
        ),
    ),
)

FRAMES = {"people": PEOPLE, "households": HOUSEHOLDS}
