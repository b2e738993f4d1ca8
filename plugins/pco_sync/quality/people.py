"""The frames of people (with their emails and phone numbers) and households: which staged
rows each checks and the columns derived for its suite (include/gx/expectations/). A failing
email or phone number quarantines that contact only; the person is merged without it."""
from __future__ import annotations

from pco_sync import sqlfiles
from pco_sync.quality.frames import Frame, as_date, as_text, column, stripped, visible


def _derive_people(df):
    for c in ("id", "first_name", "last_name", "birthdate", "status"):
        df[c] = column(df, c, as_text)
    df["id_value"] = column(df, "id", stripped)
    df["full_name"] = column(df, "first_name", lambda v: v or "") + \
        column(df, "last_name", lambda v: v or "")
    df["name"] = column(df, "full_name", visible)
    # a date object, so the suite compares it with its bounds as dates (GX reads the
    # suite's "1900-01-01" and the run's today as dates)
    df["birthdate_date"] = column(df, "birthdate", as_date)
    return df


def _derive_emails(df):
    df["address"] = column(df, "address", as_text)
    df["address_trimmed"] = column(df, "address", stripped)  # PCO keeps stray spaces as typed
    return df


def _derive_phones(df):
    df["number"] = column(df, "number", as_text)
    return df


def _derive_households(df):
    for c in ("id", "name"):
        df[c] = column(df, c, as_text)
    df["id_value"] = column(df, "id", stripped)
    df["name_value"] = column(df, "name", visible)
    df["members"] = df["members"].astype("int64")
    return df


def _frame(name: str, derive, columns, contact=None) -> Frame:
    return Frame(name, sqlfiles.read(f"quality/frame_{name}.sql"), derive, columns, contact)


FRAMES = {
    "people": (
        _frame("people", _derive_people,
               ("pco_id", "first_name", "last_name", "birthdate", "status")),
        _frame("people_emails", _derive_emails, ("pco_id", "email_id", "address"),
               contact=("email", "email_id")),
        _frame("people_phone_numbers", _derive_phones, ("pco_id", "phone_id", "number"),
               contact=("phone_number", "phone_id")),
    ),
    "households": (_frame("households", _derive_households, ("pco_id", "name", "members")),),
}
