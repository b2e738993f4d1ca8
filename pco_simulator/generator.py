"""Deterministic fake church data for the simulator.

`generate(store, people, seed)` fills an empty store with a church of about `people`
people (households, emails, phones, addresses) and, in proportion, groups, calendar
events and Services teams. The same (people, seed, now) always gives the same data: all
randomness comes from one `random.Random(seed)` and one seeded Faker instance, and the
clock is a fixed reference time unless `now` is given.

Faker is slow per call, so it is only used to fill small pools (names, streets, cities,
domains) up front; per-record choices are made with the Random. Rows go into the store
with `bulk_insert` (no events, no invented timestamps).

Messy-but-real details a sync has to cope with are deliberate: spouses sharing one email
address, emails in mixed case or with stray spaces, phone numbers in many formats (and a
few that are not numbers), people with only a first name, the same person entered twice
with different emails, inactive people, a bulk import at the start of the history (many
records with the same created_at second), step-children with another last name.
"""
from __future__ import annotations

import calendar
import random
import time
from datetime import date, datetime, timedelta, timezone

from faker import Faker

from .schema import RESOURCES, SERVICES_APP_ID
from .store import ID_BASES, ISO, Store, display_name

# The fixed "now" the data is generated against (the wall clock never matters).
REFERENCE_NOW = datetime(2026, 11, 1, 12, 0, 0, tzinfo=timezone.utc)

GENERATED_TABLES = (
    "people", "emails", "phone_numbers", "addresses", "households", "household_memberships",
    "group_types", "groups", "memberships", "events", "event_instances", "teams",
    "team_positions", "person_team_position_assignments",
    # Services structure and people in Services, drawn from their own Random so the tables
    # above stay exactly what they were for a given seed.
    "folders", "service_types", "services_people", "person_apps",
)
# Generated tables whose ids are not their own sequence: a Services person has the id of
# the People person.
SHARED_ID_TABLES = ("services_people",)

DAY = 86_400
YEAR = 365 * DAY
HISTORY_YEARS = 8

_STATIC = "https://people.planningcenteronline.com/static/"
AVATAR_BY_GENDER = {
    "M": _STATIC + "no_photo_thumbnail_man_gray.svg",
    "F": _STATIC + "no_photo_thumbnail_woman_gray.svg",
    None: _STATIC + "no_photo_thumbnail_gray.svg",
}

# A church sits in one region: its home state, with a few real area codes.
REGIONS = {
    "OH": ("614", "740", "937", "513"), "TX": ("214", "469", "972", "817"),
    "GA": ("404", "678", "770", "470"), "TN": ("615", "629", "931", "865"),
    "NC": ("704", "980", "919", "336"), "MI": ("616", "269", "517", "734"),
    "PA": ("717", "610", "484", "412"), "IN": ("317", "463", "765", "812"),
    "MO": ("314", "636", "816", "573"), "AZ": ("480", "602", "623", "520"),
}
FREE_MAIL = (("gmail.com", 40), ("yahoo.com", 14), ("hotmail.com", 8), ("outlook.com", 7),
             ("icloud.com", 8), ("aol.com", 4), ("comcast.net", 3), ("att.net", 2),
             ("live.com", 2), ("msn.com", 1))
NICKNAMES = {
    "Robert": "Bob", "William": "Bill", "Elizabeth": "Liz", "Richard": "Rick",
    "James": "Jim", "Michael": "Mike", "Jennifer": "Jen", "Katherine": "Kate",
    "Christopher": "Chris", "Thomas": "Tom", "Joseph": "Joe", "Daniel": "Dan",
    "Margaret": "Peggy", "Patricia": "Pat", "Rebecca": "Becky", "Samuel": "Sam",
    "Anthony": "Tony", "Matthew": "Matt", "Nicholas": "Nick", "Jonathan": "Jon",
    "Alexander": "Alex", "Benjamin": "Ben", "Deborah": "Deb", "Susan": "Sue",
}
JUNK_PHONES = ("n/a", "none", "N/A", "unknown", "-", "no phone", "call office", "xxx-xxx-xxxx")
MEDICAL_NOTES = ("Peanut allergy", "Allergic to tree nuts", "Asthma - has inhaler",
                 "Type 1 diabetes", "Lactose intolerant", "Bee sting allergy - EpiPen in bag",
                 "Gluten free diet")
COLOR_IDENTIFIERS = ("blue", "green", "orange", "purple", "red", "teal", "yellow", "pink")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORDINALS = ("first", "second", "third", "fourth")
ORDINAL_SHORT = ("1st", "2nd", "3rd", "4th")

GROUP_TYPES = (
    # name, description, color, map visible, weight (share of groups)
    ("Small Groups", "Groups of 8-15 people who meet in homes to share life, study and pray "
     "together.", "#3b8fcc", True, 45),
    ("Classes", "Short courses for learning and growing, from Alpha to membership classes.",
     "#f5a623", False, 15),
    ("Ministry Teams", "Serve alongside others in one of our ministries.", "#7ed321", False, 12),
    ("Bible Studies", "Dig into a book of the Bible with others, weekly.", "#9013fe", True, 20),
    ("Support Groups", "Confidential groups for people walking through a hard season.",
     "#d0021b", False, 8),
)
BIBLE_BOOKS = ("Genesis", "Exodus", "Ruth", "Psalms", "Proverbs", "Isaiah", "Jonah", "Mark",
               "Luke", "John", "Acts", "Romans", "Galatians", "Ephesians", "Philippians",
               "James", "1 Peter", "Hebrews", "Revelation")
SEASONS = ("Spring", "Summer", "Fall", "Winter")
SMALL_GROUP_WHO = ("Men's", "Women's", "Couples", "Young Adults", "Young Married", "Empty Nesters",
                   "Seniors", "Singles", "Moms", "Dads", "Mixed", "College", "Neighborhood")
TIMES_OF_DAY = (("Morning", ("6:30am", "7am", "9am", "9:30am")),
                ("Lunch", ("12pm", "12:15pm")),
                ("Night", ("6:30pm", "7pm", "7:30pm")))
CLASS_NAMES = ("Alpha Course", "Membership Class", "Financial Peace University", "Marriage Prep",
               "Parenting 101", "Baptism Class", "Discovering Your Gifts", "Newcomers Class",
               "Foundations of Faith", "Theology 101", "Grief Recovery Class", "ESL Class")
MINISTRY_TEAMS = ("Food Pantry Team", "Prayer Team", "Hospitality Team", "Missions Team",
                  "Care Ministry", "Meal Train", "Landscaping Crew", "Coffee Team",
                  "Prison Ministry", "Homebound Visitation", "Welcome Team", "Funeral Luncheons")
SUPPORT_GROUPS = ("GriefShare", "DivorceCare", "Celebrate Recovery", "MOPS",
                  "Caregivers Support", "Cancer Support", "Recovery Group", "Blended Families",
                  "Infertility Support", "Special Needs Parents")

EVENT_KINDS = (
    # name, kind (weekly/monthly/once), typical local start (h, m), duration minutes, all-day
    ("Sunday Worship Service", "weekly", (10, 0), 75, False),
    ("Early Worship Service", "weekly", (8, 30), 60, False),
    ("Wednesday Night Prayer", "weekly", (19, 0), 60, False),
    ("Youth Group", "weekly", (18, 30), 120, False),
    ("Choir Rehearsal", "weekly", (19, 0), 90, False),
    ("Worship Team Rehearsal", "weekly", (18, 30), 120, False),
    ("AWANA", "weekly", (18, 30), 90, False),
    ("Men's Breakfast", "monthly", (7, 0), 90, False),
    ("Women's Brunch", "monthly", (10, 0), 120, False),
    ("Elder Meeting", "monthly", (19, 0), 120, False),
    ("Senior Saints Lunch", "monthly", (12, 0), 90, False),
    ("Blood Drive", "monthly", (0, 0), 0, True),
    ("Food Pantry Distribution", "monthly", (9, 0), 180, False),
    ("Christmas Eve Service", "once", (17, 0), 75, False),
    ("Easter Sunday Services", "once", (9, 0), 180, False),
    ("Fall Festival", "once", (16, 0), 180, False),
    ("Trunk or Treat", "once", (18, 0), 120, False),
    ("Vacation Bible School", "once", (0, 0), 0, True),
    ("Women's Retreat", "once", (0, 0), 0, True),
    ("Men's Retreat", "once", (0, 0), 0, True),
    ("Church Picnic", "once", (11, 0), 240, False),
    ("Baptism Sunday", "once", (10, 0), 90, False),
    ("Missions Conference", "once", (0, 0), 0, True),
    ("Newcomers Lunch", "once", (12, 15), 75, False),
    ("Parents' Night Out", "once", (17, 30), 210, False),
    ("Community Serve Day", "once", (8, 0), 300, False),
    ("Marriage Conference", "once", (0, 0), 0, True),
    ("Student Ministry Lock-In", "once", (19, 0), 720, False),
)
EVENT_LOCATIONS = ("Main Campus - Sanctuary", "Main Campus - Room 101", "Main Campus - Room 204",
                   "Fellowship Hall", "Youth Room", "Chapel", "Main Campus - Gym",
                   "Kids Wing", "Main Campus - Cafe", "Riverside Park Pavilion")
EVENT_SUMMARIES = ("All are welcome.", "Bring a friend!", "Childcare provided.",
                   "Free for the whole family.", "Registration required.",
                   "Food and drinks provided.", "Doors open 15 minutes early.")

TEAMS = {
    "Worship Band": ("Vocals", "Acoustic Guitar", "Electric Guitar", "Bass", "Drums", "Keys",
                     "Worship Leader"),
    "Tech Team": ("Sound", "Lighting", "ProPresenter", "Livestream", "Camera"),
    "Greeters": ("Lead Greeter", "Front Door", "Side Door", "Welcome Center"),
    "Ushers": ("Head Usher", "Usher", "Communion", "Offering"),
    "Kids Ministry": ("Nursery", "Toddlers", "Preschool Teacher", "Elementary Small Group Leader",
                      "Check-In", "Large Group Host"),
    "Parking": ("Lot Lead", "Parking Attendant", "Shuttle Driver"),
    "Hospitality": ("Coffee", "Setup", "Cleanup", "Baking"),
    "Prayer Team": ("Prayer Partner", "Prayer Room Host", "Altar Prayer"),
    "Security": ("Security Lead", "Patrol", "Medical"),
    "Choir": ("Soprano", "Alto", "Tenor", "Bass Voice", "Accompanist"),
    "Student Ministry": ("Small Group Leader", "Worship", "Games", "Check-In"),
    "Communion Team": ("Server", "Preparer", "Cleanup"),
    "Media Team": ("Photographer", "Video Editor", "Social Media", "Graphics"),
    "Facilities": ("Setup Crew", "Maintenance", "Custodial"),
}
TEAM_SERVICES = ("9am", "11am", "Saturday 5pm", "8:30am", "10:30am", "Spanish Service",
                 "North Campus", "Contemporary", "Traditional", "Wednesday Night")
# Services structure: folders (name, parent folder name) and service types (name, folder
# name or None for the top level, frequency). The first n_service_types are used.
SERVICE_FOLDERS = (("Weekend Services", None), ("Main Campus", "Weekend Services"),
                   ("Student Ministry", None))
SERVICE_TYPES = (("Sunday Morning", "Main Campus", "Weekly"),
                 ("Saturday Evening", "Weekend Services", "Weekly"),
                 ("Midweek", None, "Weekly"),
                 ("Youth Night", "Student Ministry", "Weekly"),
                 ("Christmas & Easter", "Weekend Services", "Yearly"),
                 ("Kids Camp", "Student Ministry", "Yearly"))
SERVICES_PERMISSIONS = ("Scheduled Viewer", "Viewer", "Scheduler", "Editor", "Administrator")
STAGE_COLORS = ("#e8453c", "#f5a623", "#4a90e2", "#7ed321", "#9013fe", "#50e3c2", "#bd10e0")
STAGE_VARIANTS = ("dark", "light", "minimal")


def _ts(seconds: int) -> str:
    """Epoch seconds to the store's ISO format (same text as store.iso, much faster)."""
    return time.strftime(ISO, time.gmtime(seconds))


def _slug(text: str) -> str:
    out, dash = [], False
    for ch in text.lower():
        if ch.isalnum() and ch.isascii():
            out.append(ch)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    return "".join(out).strip("-")


def _local(text: str) -> str:
    """Name text as an email local part: ascii letters and digits only."""
    return "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())


def _weighted(pairs) -> list:
    return [value for value, weight in pairs for _ in range(weight)]


class _Pools:
    """Everything Faker is asked for, once per generation."""

    def __init__(self, fake: Faker, rng: random.Random, home_state: str):
        self.male = [fake.first_name_male() for _ in range(2000)]
        self.female = [fake.first_name_female() for _ in range(2000)]
        self.last = [fake.last_name() for _ in range(1000)]
        self.streets = [fake.street_name() for _ in range(1500)]
        local_cities = []
        seen = set()
        while len(local_cities) < 30:
            city = fake.city()
            if city not in seen:
                seen.add(city)
                zips = tuple(fake.zipcode_in_state(home_state) for _ in range(rng.randint(1, 3)))
                local_cities.append((city, home_state, zips))
        self.local_cities = local_cities
        far = []
        for _ in range(300):
            st = fake.state_abbr(include_territories=False)
            far.append((fake.city(), st, (fake.zipcode_in_state(st),)))
        self.far_cities = far
        self.work_domains = [fake.domain_name() for _ in range(400)]
        self.free_domains = _weighted(FREE_MAIL)


class _Gen:
    def __init__(self, store: Store, people: int, seed: int, now: datetime):
        self.store = store
        self.target = max(1, int(people))
        self.rng = random.Random(seed)
        # Services structure and people in Services come from their own stream, so adding
        # them changed nothing the tables before them hold.
        self.srng = random.Random(f"pco-services-{seed}")
        fake = Faker("en_US")
        fake.seed_instance(seed)
        rng = self.rng
        self.home_state = rng.choice(sorted(REGIONS))
        self.area_codes = REGIONS[self.home_state]
        self.pools = _Pools(fake, rng, self.home_state)
        self.now_s = int(now.timestamp())
        self.now_date = now.astimezone(timezone.utc).date()
        self.start_s = self.now_s - HISTORY_YEARS * YEAR
        self.subdomain = store.organization().get("church_center_subdomain") or "church"
        self.org_domain = f"{_slug(store.config.organization_name).replace('-', '')}.org"
        try:
            from zoneinfo import ZoneInfo
            self.tz = ZoneInfo(store.config.time_zone)
        except Exception:  # no tz database: a fixed offset is close enough
            self.tz = timezone(timedelta(hours=-5))
        # School year the reference date falls in (starts 1 September).
        self.school_year = self.now_date.year - (0 if self.now_date.month >= 8 else 1)

        self.ids = {t: ID_BASES[t] for t in GENERATED_TABLES}
        self.rows: dict[str, list[dict]] = {t: [] for t in GENERATED_TABLES}
        self.used_emails: set[str] = set()
        # Per person (by index into rows["people"]), what later tables need.
        self.primary_email: dict[str, str] = {}
        self.primary_phone: dict[str, str] = {}
        self.spouse: dict[str, str] = {}
        self.adults: list[dict] = []
        self.dupe_sources: list[dict] = []
        self.count_dupes = 0

    # ---- small helpers --------------------------------------------------------------------
    def next_id(self, table: str) -> str:
        self.ids[table] += 1
        return str(self.ids[table])

    def later(self, t: int, p_change: float, upto: int | None = None) -> int:
        """A time at or after t (and before `upto`/now): unchanged with 1 - p_change."""
        end = (upto if upto is not None else self.now_s - 60)
        if end <= t or self.rng.random() >= p_change:
            return t
        return t + int((end - t) * self.rng.random())

    def birthdate_for_age(self, age: int) -> str:
        days = int(age * 365.25) + self.rng.randrange(365)
        return (self.now_date - timedelta(days=days)).isoformat()

    # ---- people ---------------------------------------------------------------------------
    def person(self, t: int, *, first: str, last: str | None, gender: str | None, child: bool,
               birthdate: str | None, membership: str | None, inactive: bool,
               grade: int | None = None, graduation_year: int | None = None,
               anniversary: str | None = None) -> dict:
        rng = self.rng
        pid = self.next_id("people")
        nickname = NICKNAMES.get(first) if rng.random() < 0.25 else None
        avatar = AVATAR_BY_GENDER[gender]
        demographic = avatar
        if not child and rng.random() < 0.15:
            avatar = (f"https://avatars.planningcenteronline.com/uploads/person/"
                      f"{pid}-{self.later(t, 1.0)}/avatar.{rng.randint(1, 4)}.jpg")
        middle = None
        if rng.random() < 0.3:
            middle = rng.choice(self.pools.male if gender == "M" else self.pools.female)
        p = {
            "id": pid,
            "accounting_administrator": False,
            "anniversary": anniversary,
            "avatar": avatar,
            "birthdate": birthdate,
            "child": child,
            "created_at": t,  # epoch seconds until finished
            "demographic_avatar_url": demographic,
            "first_name": first,
            "gender": gender,
            "given_name": None,
            "grade": grade,
            "graduation_year": graduation_year,
            "inactivated_at": None,
            "last_name": last,
            "medical_notes": (rng.choice(MEDICAL_NOTES) if child and rng.random() < 0.06
                              else None),
            "membership": membership,
            "middle_name": middle,
            "name": None,
            "nickname": nickname,
            "passed_background_check": (not child) and rng.random() < 0.25,
            "people_permissions": (rng.choice(("Editor", "Viewer", "Manager"))
                                   if not child and rng.random() < 0.005 else None),
            "remote_id": None,
            "school_type": None,
            "site_administrator": False,
            "status": "active",
            "updated_at": self.later(t, 0.55),
            "primary_campus_id": None,
        }
        p["name"] = display_name(p)
        if inactive:
            p["status"] = "inactive"
            p["inactivated_at"] = self.later(t, 1.0)
            if p["inactivated_at"] == t:
                p["inactivated_at"] = min(t + 60, self.now_s - 1)
        self.rows["people"].append(p)
        if not child:
            self.adults.append(p)
        return p

    def adult_gender(self, want: str | None = None) -> str | None:
        if self.rng.random() < 0.03:
            return None
        if want is not None:
            return want
        return "M" if self.rng.random() < 0.48 else "F"

    def first_name(self, gender: str | None) -> str:
        if gender == "M" or (gender is None and self.rng.random() < 0.5):
            return self.rng.choice(self.pools.male)
        return self.rng.choice(self.pools.female)

    def membership(self) -> str | None:
        r = self.rng.random()
        return ("Member" if r < 0.45 else "Regular Attender" if r < 0.70
                else "Visitor" if r < 0.80 else None)

    def child(self, t: int, last: str | None, membership: str | None, inactive: bool,
              max_age: int) -> dict:
        rng = self.rng
        gender = "M" if rng.random() < 0.5 else "F"
        if rng.random() < 0.02:
            gender = None
        age = rng.randint(0, max(0, min(17, max_age)))
        grade = grad = None
        if age >= 5:
            grade = min(12, age - 5)
            # Born between 2 September and 1 September a year later, so they were 5 on
            # the 1 September their kindergarten year started.
            sy = self.school_year - grade
            lo = date(sy - 6, 9, 2).toordinal()
            hi = date(sy - 5, 9, 1).toordinal()
            birth = date.fromordinal(rng.randint(lo, hi)).isoformat()
            grad = self.school_year + 1 + (12 - grade)
        else:
            lo = max(date(self.school_year - 5, 9, 2).toordinal(),
                     self.now_date.toordinal() - 5 * 365)
            hi = self.now_date.toordinal() - 1
            birth = date.fromordinal(rng.randint(lo, hi)).isoformat()
        if rng.random() < 0.05:
            birth = None
        # A child born after the family joined is added some weeks after the birth.
        if birth is not None:
            born = int(datetime.fromisoformat(birth).replace(tzinfo=timezone.utc).timestamp())
            if born + DAY > t:
                t = born + rng.randint(7, 60) * DAY + rng.randrange(DAY)
                if t >= self.now_s - 3600:
                    t = born + int((self.now_s - 3600 - born) * rng.random())
        first = self.first_name(gender)
        if rng.random() < 0.006:
            last = None  # entered at kids' check-in with a first name only
        return self.person(t, first=first, last=last, gender=gender, child=True,
                           birthdate=birth, membership=membership if rng.random() < 0.6 else None,
                           inactive=inactive, grade=grade, graduation_year=grad)

    def unit_time(self, made: int) -> int:
        """Creation time of the next household/person: the first ~12% came in one bulk
        import (many records per second), the rest join steadily up to now."""
        frac = made / self.target
        if frac < 0.12:
            return self.start_s + int(frac / 0.12 * 3 * 3600)
        span = self.now_s - 2 * DAY - (self.start_s + 7 * DAY)
        base = self.start_s + 7 * DAY + int(span * (frac - 0.12) / 0.88)
        return base + self.rng.randrange(6 * 3600)

    def generate_people(self) -> None:
        rng = self.rng
        target = self.target
        people = self.rows["people"]
        dupes_wanted = max(1, round(target * 0.005)) if target >= 50 else 0
        while len(people) < target:
            made = len(people)
            t = self.unit_time(made)
            r = rng.random()
            if r < 0.1733:
                if (self.dupe_sources and self.count_dupes < dupes_wanted
                        and rng.random() < 0.08):
                    self.duplicate(t)
                else:
                    self.single(t, household=False)
            else:
                self.household(t, room=target - made)

    def single(self, t: int, household: bool) -> None:
        rng = self.rng
        gender = self.adult_gender()
        first = self.first_name(gender)
        last = rng.choice(self.pools.last)
        if not household and rng.random() < 0.09:
            last = None
        age = rng.randint(18, 90)
        birth = self.birthdate_for_age(age) if rng.random() < 0.88 else None
        inactive = rng.random() < 0.05
        p = self.person(t, first=first, last=last, gender=gender, child=False, birthdate=birth,
                        membership=self.membership() if last else rng.choice(("Visitor", None)),
                        inactive=inactive)
        if last and birth:
            self.dupe_sources.append(p)
        home = (self.address_for_household() if rng.random() < (0.9 if household else 0.6)
                else None)
        self.contacts([p], home=home, t=t)
        if household:
            self.make_household([p], p, t)

    def duplicate(self, t: int) -> None:
        """Someone already in the database fills in a connect card: a second record with
        the same name and birthdate but a different email, in no household."""
        rng = self.rng
        i = rng.randrange(len(self.dupe_sources))
        orig = self.dupe_sources[i]
        self.dupe_sources[i] = self.dupe_sources[-1]
        self.dupe_sources.pop()
        self.count_dupes += 1
        p = self.person(t, first=orig["first_name"], last=orig["last_name"],
                        gender=orig["gender"], child=False, birthdate=orig["birthdate"],
                        membership=rng.choice(("Visitor", None)), inactive=False)
        home = self.address_for_household() if rng.random() < 0.5 else None
        self.contacts([p], home=home, t=t, force_email=True)

    def household(self, t: int, room: int) -> None:
        rng = self.rng
        r = rng.random()
        if r < 0.30 or room < 2:
            return self.single(t, household=True)
        last = rng.choice(self.pools.last)
        inactive = rng.random() < 0.04  # the whole family moved away
        if r < 0.40:
            # Single parent with children.
            gender = self.adult_gender("F" if rng.random() < 0.75 else "M")
            age = rng.randint(24, 55)
            birth = self.birthdate_for_age(age) if rng.random() < 0.88 else None
            parent = self.person(t, first=self.first_name(gender), last=last, gender=gender,
                                 child=False, birthdate=birth, membership=self.membership(),
                                 inactive=inactive or rng.random() < 0.01)
            if birth:
                self.dupe_sources.append(parent)
            adults = [parent]
            kids_wanted = min(room - 1, rng.choice((1, 1, 2, 2, 2, 3)))
            oldest = age - 18
        else:
            g1 = self.adult_gender()
            g2 = self.adult_gender({"M": "F", "F": "M"}.get(g1, None) or
                                   ("F" if rng.random() < 0.5 else "M"))
            with_kids = r < 0.70
            age = rng.randint(25, 55) if with_kids else rng.randint(22, 85)
            anniversary = None
            if rng.random() < 0.4:
                married_age = rng.randint(20, min(35, age))
                anniversary = self.birthdate_for_age(age - married_age)
            a1 = self.person(t, first=self.first_name(g1), last=last, gender=g1, child=False,
                             birthdate=self.birthdate_for_age(age) if rng.random() < 0.88
                             else None, membership=self.membership(),
                             inactive=inactive or rng.random() < 0.01, anniversary=anniversary)
            last2 = last if rng.random() < 0.88 else rng.choice(self.pools.last)
            age2 = max(20, age + rng.randint(-6, 6))
            m2 = a1["membership"] if rng.random() < 0.8 else self.membership()
            a2 = self.person(t + rng.randint(0, 600), first=self.first_name(g2), last=last2,
                             gender=g2, child=False,
                             birthdate=self.birthdate_for_age(age2) if rng.random() < 0.88
                             else None, membership=m2,
                             inactive=inactive or rng.random() < 0.01, anniversary=anniversary)
            for a in (a1, a2):
                if a["birthdate"]:
                    self.dupe_sources.append(a)
            self.spouse[a1["id"]], self.spouse[a2["id"]] = a2["id"], a1["id"]
            adults = [a1, a2]
            kids_wanted = 0
            if with_kids:
                kids_wanted = min(room - 2, rng.choice((1, 1, 2, 2, 2, 2, 3, 3, 4)))
            oldest = min(age, age2) - 20
        kids = []
        for _ in range(max(0, kids_wanted)):
            kid_last = last if rng.random() < 0.95 else rng.choice(self.pools.last)
            kids.append(self.child(t + rng.randint(0, 900), kid_last, adults[0]["membership"],
                                   inactive, oldest))
        members = adults + kids
        home = self.address_for_household()
        self.contacts(members, home=home, t=t)
        primary = adults[0] if len(adults) == 1 or rng.random() < 0.7 else adults[1]
        self.make_household(members, primary, t)

    def make_household(self, members: list[dict], primary: dict, t: int) -> None:
        hid = self.next_id("households")
        # Made with the adults; children born later are added to it afterwards.
        created = max([t] + [m["created_at"] for m in members if not m["child"]]) + \
            self.rng.randint(0, 3600)
        created = min(created, self.now_s - 60)
        self.rows["households"].append({
            "id": hid,
            "avatar": None,
            "created_at": _ts(created),
            "member_count": len(members),
            "name": f"{primary['last_name'] or primary['first_name']} Household",
            "primary_contact_id": primary["id"],
            "primary_contact_name": primary["name"],
            "updated_at": _ts(self.later(created, 0.3)),
        })
        rows = self.rows["household_memberships"]
        for m in members:
            rows.append({"id": self.next_id("household_memberships"), "household_id": hid,
                         "person_id": m["id"], "person_name": m["name"], "pending": False})

    # ---- contacts -------------------------------------------------------------------------
    def address_for_household(self) -> dict:
        rng = self.rng
        pools = self.pools
        city, state, zips = (rng.choice(pools.local_cities) if rng.random() < 0.88
                             else rng.choice(pools.far_cities))
        zip_code = rng.choice(zips)
        if rng.random() < 0.05:
            zip_code = f"{zip_code}-{rng.randint(1, 9999):04d}"
        if rng.random() < 0.02:
            state = state.title()  # "Va", as in the recordings
        line2 = None
        if rng.random() < 0.1:
            line2 = rng.choice((f"Apt {rng.randint(1, 40)}{rng.choice('ABCD')}",
                                f"Apt {rng.randint(100, 450)}", f"Unit {rng.randint(1, 60)}",
                                f"#{rng.randint(1, 30)}", f"Suite {rng.randint(100, 500)}"))
        street = f"{rng.randint(1, 9999)} {rng.choice(pools.streets)}"
        return {"street_line_1": street, "street_line_2": line2, "city": city,
                "state": state, "zip": zip_code}

    def phone(self, location: str, number: tuple[str, str, str] | None = None,
              junk_ok: bool = True) -> tuple[str, str | None, str | None, str | None,
                                               tuple | None]:
        rng = self.rng
        if junk_ok and rng.random() < 0.003:
            return rng.choice(JUNK_PHONES), None, None, None, None
        if number is None:
            number = (rng.choice(self.area_codes), str(rng.randint(201, 989)),
                      f"{rng.randrange(10000):04d}")
        a, e, l = number
        r = rng.random()
        if r < 0.45:
            text = f"({a}) {e}-{l}"
        elif r < 0.65:
            text = f"{a}-{e}-{l}"
        elif r < 0.75:
            text = f"{a}.{e}.{l}"
        elif r < 0.87:
            text = f"{a}{e}{l}"
        elif r < 0.95:
            text = f"+1 {a} {e} {l}"
        elif r < 0.985:
            text = f"{a}-{e}-{l} ext. {rng.randint(10, 450)}" if location == "Work" \
                else f"({a}) {e}-{l}"
        else:
            # Seven digits, no area code: PCO cannot tell which number it is.
            return f"{e}-{l}", None, None, None, number
        return text, f"+1{a}{e}{l}", f"({a}) {e}-{l}", f"+1 {a}-{e}-{l}", number

    def email_address(self, p: dict, work: bool = False) -> str:
        rng = self.rng
        first = _local(p["first_name"] or "") or "friend"
        last = _local(p["last_name"] or "")
        while True:
            if work:
                domain = rng.choice(self.pools.work_domains)
                local = (f"{first}.{last}" if last and rng.random() < 0.6
                         else f"{first[0]}{last}" if last else first)
            else:
                domain = rng.choice(self.pools.free_domains)
                r = rng.random()
                if not last:
                    local = f"{first}{rng.randint(1, 9999)}"
                elif r < 0.3:
                    local = f"{first}.{last}"
                elif r < 0.5:
                    local = f"{first}{last}{rng.randint(1, 99)}"
                elif r < 0.65:
                    local = f"{first[0]}{last}"
                elif r < 0.75:
                    local = f"{first}_{last}"
                elif r < 0.85:
                    local = f"{first}{rng.randint(60, 2010)}"
                else:
                    local = f"{first}{last[:1]}{rng.randint(1, 999)}"
            addr = f"{local}@{domain}"
            if addr not in self.used_emails:
                self.used_emails.add(addr)
                return addr
            work = work and rng.random() < 0.5  # retry, maybe with a free address

    def messy(self, addr: str) -> str:
        """About 3% of addresses are typed carelessly: mixed case and/or stray spaces."""
        rng = self.rng
        if rng.random() >= 0.03:
            return addr
        r = rng.random()
        local, _, domain = addr.partition("@")
        if r < 0.35:
            return ".".join(x[:1].upper() + x[1:] for x in local.split(".")) + "@" + \
                domain[:1].upper() + domain[1:]
        if r < 0.5:
            return addr.upper()
        if r < 0.75:
            return addr + " "
        if r < 0.9:
            return " " + addr
        return " " + local[:1].upper() + local[1:] + "@" + domain + "  "

    def contacts(self, members: list[dict], home: dict | None, t: int,
                 force_email: bool = False) -> None:
        rng = self.rng
        emails, phones, addrs = self.rows["emails"], self.rows["phone_numbers"], \
            self.rows["addresses"]
        imported = t < self.start_s + DAY
        home_phone = None
        if home is not None and len(members) > 1 and rng.random() < 0.25:
            home_phone = (rng.choice(self.area_codes), str(rng.randint(201, 989)),
                          f"{rng.randrange(10000):04d}")
        shared_from = None
        for p in members:
            pc = p["created_at"]
            last_touch = p["updated_at"]

            def stamp():
                c = pc if imported or rng.random() < 0.6 else self.later(pc, 1.0)
                u = self.later(c, 0.2)
                return c, u

            # Emails.
            child = p["child"]
            teen = child and (p["grade"] or 0) >= 7
            if force_email:
                n_emails = 1
            elif child:
                n_emails = 1 if rng.random() < (0.3 if teen else 0.02) else 0
            else:
                r = rng.random()
                n_emails = 0 if r < 0.15 else 2 if r < 0.30 else 1
            locs = ("Home", "Work") if rng.random() < 0.95 else ("Work", "Home")
            for k in range(n_emails):
                if (k == 0 and shared_from is not None and p["id"] == self.spouse.get(
                        shared_from[0]) and rng.random() < 0.15):
                    addr = shared_from[1]  # one address for the couple, on both records
                else:
                    addr = self.messy(self.email_address(p, work=locs[k] == "Work"))
                c, u = stamp()
                emails.append({"id": self.next_id("emails"), "person_id": p["id"],
                               "address": addr, "blocked": False, "created_at": _ts(c),
                               "location": locs[k], "primary": k == 0, "updated_at": _ts(u)})
                if k == 0:
                    self.primary_email[p["id"]] = addr
                    if not child and shared_from is None:
                        shared_from = (p["id"], addr)
                last_touch = max(last_touch, u)
            # Phones.
            wanted = []
            if child:
                if teen and rng.random() < 0.25:
                    wanted.append(("Mobile", None))
            else:
                if rng.random() < 0.8:
                    wanted.append(("Mobile", None))
                if home_phone is not None:
                    wanted.append(("Home", home_phone))
                elif rng.random() < 0.05:
                    wanted.append(("Home", None))
                if rng.random() < 0.08:
                    wanted.append(("Work", None))
            for k, (loc, number) in enumerate(wanted):
                text, e164, national, international, _ = self.phone(loc, number)
                c, u = stamp()
                phones.append({"id": self.next_id("phone_numbers"), "person_id": p["id"],
                               "carrier": None, "country_code": "US", "created_at": _ts(c),
                               "e164": e164, "international": international,
                               "location": loc, "national": national, "number": text,
                               "primary": k == 0, "updated_at": _ts(u)})
                if k == 0:
                    self.primary_phone[p["id"]] = text
                last_touch = max(last_touch, u)
            # Address: one per adult, shared by the household.
            if home is not None and not child:
                c, u = stamp()
                addrs.append({"id": self.next_id("addresses"), "person_id": p["id"],
                              "city": home["city"], "country_code": "US",
                              "country_name": "United States", "created_at": _ts(c),
                              "location": "Home", "primary": True, "state": home["state"],
                              "street_line_1": home["street_line_1"],
                              "street_line_2": home["street_line_2"], "updated_at": _ts(u),
                              "zip": home["zip"]})
                last_touch = max(last_touch, u)
            # Contact edits bump the person (PCO does).
            if p["inactivated_at"] is not None:
                last_touch = max(last_touch, p["inactivated_at"])
            p["updated_at"] = last_touch

    def finish_people(self) -> None:
        for p in self.rows["people"]:
            p["created_at"] = _ts(p["created_at"])
            p["updated_at"] = _ts(p["updated_at"])
            if p["inactivated_at"] is not None:
                p["inactivated_at"] = _ts(p["inactivated_at"])

    # ---- groups ---------------------------------------------------------------------------
    def generate_groups(self) -> None:
        rng = self.rng
        type_rows = []
        for pos, (name, desc, color, map_visible, _w) in enumerate(GROUP_TYPES, 1):
            type_rows.append({"id": self.next_id("group_types"), "name": name,
                              "description": desc, "color": color, "position": pos,
                              "church_center_visible": True,
                              "church_center_map_visible": map_visible,
                              "default_group_settings": None})
        self.rows["group_types"] = type_rows
        by_type = _weighted((i, w) for i, (*_, w) in enumerate(GROUP_TYPES))
        n_groups = max(3, round(self.target / 40))
        adults = self.adults
        active = [p for p in adults if p["status"] == "active"] or adults
        everyone = self.rows["people"]
        names_seen: dict[str, int] = {}
        groups, memberships = self.rows["groups"], self.rows["memberships"]
        for gi in range(n_groups):
            ti = gi if gi < len(GROUP_TYPES) else rng.choice(by_type)
            gtype = type_rows[ti]
            name, schedule = self.group_name(ti)
            if name in names_seen:
                names_seen[name] += 1
                name = f"{name} ({names_seen[name]})"
            else:
                names_seen[name] = 1
            gid = self.next_id("groups")
            created = self.start_s + int((self.now_s - 14 * DAY - self.start_s) * rng.random())
            archived = None
            if rng.random() < 0.1:
                archived = self.later(created + DAY, 1.0)
            end = archived if archived is not None else self.now_s - 60
            strategy = rng.choice(("request_to_join", "request_to_join", "open_signup",
                                   "closed"))
            header = None
            if rng.random() < 0.6:
                h = "%08x" % rng.getrandbits(32)
                base = ("https://groups-production.s3.amazonaws.com/uploads/group/"
                        f"header_image/{gid}")
                header = {"thumbnail": f"{base}/thumbnail_{h}.jpg",
                          "medium": f"{base}/medium_{h}.jpg",
                          "original": f"{base}/original_{h}.jpg"}
            # Members: mostly active adults; couples join small groups and studies together.
            size = rng.randint(4, 25)
            chosen: list[dict] = []
            seen: set[str] = set()
            tries = 0
            while len(chosen) < size and tries < size * 20:
                tries += 1
                r = rng.random()
                src = active if r < 0.93 else adults if r < 0.97 else everyone
                p = src[rng.randrange(len(src))]
                if p["id"] in seen or p["created_at_s"] >= end:
                    continue
                seen.add(p["id"])
                chosen.append(p)
                sp = self.spouse.get(p["id"])
                if (sp and sp not in seen and len(chosen) < size and ti in (0, 3)
                        and rng.random() < 0.6):
                    spouse = self.person_by_id(sp)
                    if spouse["created_at_s"] < end:
                        seen.add(sp)
                        chosen.append(spouse)
            n_leaders = 1 if len(chosen) < 8 or rng.random() < 0.5 else 2
            leaders = [p for p in chosen if not p["child"]][:n_leaders] or chosen[:1]
            leader_ids = {p["id"] for p in leaders}
            for p in chosen:
                pc = p["created_at_s"]
                lo = max(created, pc)
                joined = lo if p["id"] in leader_ids and lo == created else \
                    lo + int(max(0, end - lo) * rng.random())
                memberships.append({
                    "id": self.next_id("memberships"), "group_id": gid, "person_id": p["id"],
                    "account_center_identifier": p["id"], "avatar_url": p["avatar"],
                    "color_identifier": rng.choice(COLOR_IDENTIFIERS),
                    "email_address": self.primary_email.get(p["id"]),
                    "first_name": p["first_name"], "joined_at": _ts(min(joined, end)),
                    "last_name": p["last_name"], "phone_number": self.primary_phone.get(p["id"]),
                    "role": "leader" if p["id"] in leader_ids else "member"})
            contact = self.primary_email.get(leaders[0]["id"]) if leaders else None
            contact = (contact.strip().lower() if contact and rng.random() < 0.7
                       else f"groups@{self.org_domain}")
            groups.append({
                "id": gid, "group_type_id": gtype["id"],
                "archived_at": _ts(archived) if archived is not None else None,
                "can_create_conversation": False, "chat_enabled": True,
                "contact_email": contact, "created_at": _ts(created),
                "description": self.group_description(ti, name),
                "enrollment_open": strategy != "closed" and archived is None,
                "enrollment_strategy": strategy,
                "events_visibility": "members" if rng.random() < 0.7 else "public",
                "header_image": header,
                "location_type_preference": "physical" if rng.random() < 0.85 else "virtual",
                "memberships_count": len(chosen), "name": name,
                "public_church_center_web_url": (
                    f"https://{self.subdomain}.churchcenter.com/groups/"
                    f"{_slug(gtype['name'])}/{_slug(name)}"),
                "schedule": schedule, "virtual_location_url": None, "widget_status": {},
            })

    def person_by_id(self, pid: str) -> dict:
        return self.rows["people"][int(pid) - ID_BASES["people"] - 1]

    def group_name(self, ti: int) -> tuple[str, str | None]:
        rng = self.rng
        day = rng.choice(DAY_NAMES)
        tod, times = rng.choice(TIMES_OF_DAY)
        at = rng.choice(times)
        schedule = rng.choice((f"{day}s at {at}", f"{day}s at {at}", f"Every other {day} at {at}",
                               f"First {day} of the month at {at}", None))
        year = self.now_date.year - rng.randint(0, 4)
        if ti == 0:
            r = rng.random()
            if r < 0.35:
                name = f"{day} {tod} {rng.choice(SMALL_GROUP_WHO)} Group"
            elif r < 0.7:
                name = f"{rng.choice(self.pools.last)} Home Group"
            else:
                city = rng.choice(self.pools.local_cities)[0]
                name = f"{city} {rng.choice(SMALL_GROUP_WHO)} Group"
        elif ti == 1:
            base = rng.choice(CLASS_NAMES)
            name = f"{base} {rng.choice(SEASONS)} {year}" if rng.random() < 0.7 else base
            schedule = schedule or f"{day}s at {at} for 8 weeks"
        elif ti == 2:
            name = rng.choice(MINISTRY_TEAMS)
        elif ti == 3:
            r = rng.random()
            book = rng.choice(BIBLE_BOOKS)
            if r < 0.4:
                name = f"{rng.choice(('Women', 'Men'))}'s Bible Study - {book}"
            elif r < 0.7:
                name = f"{day} {tod} Bible Study: {book}"
            else:
                name = f"{book} Study {rng.choice(SEASONS)} {year}"
        else:
            name = rng.choice(SUPPORT_GROUPS)
            if rng.random() < 0.5:
                name = f"{name} {rng.choice(('Tuesday', 'Thursday', 'Evening', 'Daytime'))}"
        return name, schedule

    def group_description(self, ti: int, name: str) -> str | None:
        rng = self.rng
        if rng.random() < 0.08:
            return None
        lines = {
            0: "A small group that meets to share a meal, talk about Sunday's message and pray "
               "for one another.",
            1: "A class that meets for a few weeks. Sign up so we can plan for materials.",
            2: "Serve with a team that makes a difference in our church and community.",
            3: "Read and discuss the Bible together; no experience needed.",
            4: "A safe, confidential place to find support and hope.",
        }
        extra = rng.choice(("Childcare is available on request.", "Everyone is welcome.",
                            "Contact the leader with any questions.", "Coffee provided.", ""))
        return f"{name}: {lines[ti]} {extra}".strip()

    # ---- calendar -------------------------------------------------------------------------
    def local_to_utc(self, d: date, hour: int, minute: int) -> int:
        return int(datetime(d.year, d.month, d.day, hour, minute, tzinfo=self.tz).timestamp())

    def generate_events(self) -> None:
        rng = self.rng
        n_events = max(3, round(self.target / 50))
        events, instances = self.rows["events"], self.rows["event_instances"]
        today = self.now_date
        for ei in range(n_events):
            name, kind, (h, m), minutes, all_day = EVENT_KINDS[ei] if ei < len(EVENT_KINDS) \
                else rng.choice(EVENT_KINDS)
            eid = self.next_id("events")
            # The dates the event happens on. Named days are kept: Sunday services fall on
            # Sundays, Christmas Eve on the 24th.
            day_hint = next((i for i, dn in enumerate(DAY_NAMES) if dn in name), None)
            if day_hint is None and ("Worship" in name or "Baptism" in name
                                     or "Easter" in name):
                day_hint = 6
            if day_hint is None and name.startswith(("Youth Group", "AWANA")):
                day_hint = 2
            if day_hint is None and ("Breakfast" in name or "Brunch" in name):
                day_hint = 5
            if kind == "weekly":
                first = today + timedelta(days=rng.randint(-120, 30))
                if day_hint is not None:
                    first += timedelta(days=(day_hint - first.weekday()) % 7)
                dates = [first + timedelta(weeks=k) for k in range(rng.randint(4, 12))]
                wd = DAY_NAMES[first.weekday()]
                rec, desc, compact = "Weekly", f"Every week on {wd}", f"Every {wd[:3]}"
            elif kind == "monthly":
                nth = rng.randrange(4)
                wdi = day_hint if day_hint is not None else rng.randrange(7)
                y, mo = today.year, today.month - rng.randint(0, 6)
                while mo < 1:
                    y, mo = y - 1, mo + 12
                dates = []
                for _ in range(rng.randint(4, 12)):
                    d1 = date(y, mo, 1)
                    dates.append(d1 + timedelta(days=(wdi - d1.weekday()) % 7 + 7 * nth))
                    y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
                rec = "Monthly"
                desc = f"Every month on the {ORDINALS[nth]} {DAY_NAMES[wdi]}"
                compact = f"Monthly on the {ORDINAL_SHORT[nth]} {DAY_NAMES[wdi][:3]}"
            else:
                d = today + timedelta(days=rng.randint(-300, 180))
                if name.startswith("Christmas Eve"):
                    d = date(d.year, 12, 24)
                elif day_hint is not None:
                    d += timedelta(days=(day_hint - d.weekday()) % 7)
                dates = [d]
                rec, desc, compact = "None", None, None
                if rng.random() < 0.5:
                    name = f"{name} {d.year}"
            first_start = self.local_to_utc(dates[0], h, m)
            created = min(first_start - rng.randint(3, 90) * DAY - rng.randrange(DAY),
                          self.now_s - DAY)
            created = max(created, self.start_s)
            updated = self.later(created, 0.5)
            location = rng.choice(EVENT_LOCATIONS) if rng.random() < 0.85 else None
            events.append({
                "id": eid, "approval_status": "A", "created_at": _ts(created),
                "description": (f"{name} at {location or 'the church'}. "
                                f"{rng.choice(EVENT_SUMMARIES)}"),
                "featured": rng.random() < 0.1,
                "image_url": (f"https://calendar-production.s3.amazonaws.com/uploads/event/"
                              f"image/{eid}/{'%08x' % rng.getrandbits(32)}.jpg"
                              if rng.random() < 0.4 else None),
                "name": name, "percent_approved": 100, "percent_rejected": 0,
                "registration_url": None, "summary": rng.choice(EVENT_SUMMARIES),
                "updated_at": _ts(updated),
                "visible_in_church_center": rng.random() < 0.8,
            })
            multi_day = rng.randint(1, 3) if all_day else 0
            for d in dates:
                iid = self.next_id("event_instances")
                if all_day:
                    start = int(datetime(d.year, d.month, d.day,
                                         tzinfo=timezone.utc).timestamp())
                    end = start + multi_day * DAY
                else:
                    start = self.local_to_utc(d, h, m)
                    end = start + minutes * 60
                start_s, end_s = _ts(start), _ts(end)
                iu = self.later(created, 0.3)
                instances.append({
                    "id": iid, "event_id": eid, "all_day_event": all_day,
                    "church_center_url": (f"https://{self.subdomain}.churchcenter.com/calendar/"
                                          f"event/{iid}"),
                    "compact_recurrence_description": compact, "created_at": _ts(created),
                    "ends_at": end_s, "location": location, "name": name,
                    "published_ends_at": end_s, "published_starts_at": start_s,
                    "recurrence": rec, "recurrence_description": desc, "starts_at": start_s,
                    "updated_at": _ts(iu),
                })

    # ---- services -------------------------------------------------------------------------
    def generate_teams(self) -> None:
        rng = self.rng
        n_teams = max(3, round(self.target / 200))
        bases = list(TEAMS)
        adults = [p for p in self.adults if p["status"] == "active"] or self.adults
        teams, positions, assigns = (self.rows["teams"], self.rows["team_positions"],
                                     self.rows["person_team_position_assignments"])
        names_seen: dict[str, int] = {}
        for ti in range(n_teams):
            base = bases[ti % len(bases)]
            name = base
            if ti >= len(bases):
                name = f"{base} - {TEAM_SERVICES[(ti // len(bases) - 1) % len(TEAM_SERVICES)]}"
            if name in names_seen:
                names_seen[name] += 1
                name = f"{name} {names_seen[name]}"
            else:
                names_seen[name] = 1
            tid = self.next_id("teams")
            created = self.start_s + int((self.now_s - 30 * DAY - self.start_s) * rng.random())
            teams.append({
                "id": tid, "archived_at": None, "assigned_directly": False,
                "created_at": _ts(created), "default_prepare_notifications": False,
                "default_status": "U", "deleted_at": None, "name": name,
                "rehearsal_team": False, "schedule_to": "plan", "secure_team": False,
                "sequence": ti, "stage_color": rng.choice(STAGE_COLORS),
                "stage_variant": rng.choice(STAGE_VARIANTS),
                "updated_at": _ts(self.later(created, 0.6)), "viewers_see": 0,
            })
            pos_names = TEAMS[base]
            chosen_pos = rng.sample(pos_names, min(len(pos_names), rng.randint(2, 5)))
            crew = rng.sample(adults, min(len(adults), rng.randint(6, 24)))
            for seq, pname in enumerate(chosen_pos):
                pid = self.next_id("team_positions")
                positions.append({"id": pid, "team_id": tid, "name": pname,
                                  "negative_tag_groups": [], "sequence": seq, "tag_groups": [],
                                  "tags": []})
                # Mostly the team's regular crew, now and then someone from elsewhere.
                k = rng.randint(2, 10)
                people_here: list[dict] = []
                seen: set[str] = set()
                while len(people_here) < min(k, len(adults)):
                    src = crew if rng.random() < 0.8 else adults
                    p = src[rng.randrange(len(src))]
                    if p["id"] not in seen:
                        seen.add(p["id"])
                        people_here.append(p)
                for p in people_here:
                    c = max(created, p["created_at_s"])
                    c = c + int((self.now_s - 60 - c) * rng.random())
                    assigns.append({
                        "id": self.next_id("person_team_position_assignments"),
                        "person_id": p["id"], "team_position_id": pid, "team_id": tid,
                        "created_at": _ts(c), "preferred_weeks": [],
                        "schedule_preference": rng.choice(("Every week", "Every other week",
                                                           "Every other week", "Once a month")),
                        "updated_at": _ts(self.later(c, 0.2)),
                    })

    def generate_services(self) -> None:
        """Folders (one nested), service types (most in folders, one at the top level), a
        service type for every team (some list a second), and the people in Services:
        everyone holding an assignment plus a few more, one or two of those archived."""
        rng = self.srng
        n_types = min(len(SERVICE_TYPES), 3 + self.target // 1000)
        specs = SERVICE_TYPES[:n_types]
        folder_ids: dict[str, str] = {}
        folder_made: dict[str, int] = {}
        lo, hi = self.start_s, self.start_s + 2 * YEAR
        for name, parent in SERVICE_FOLDERS:  # every folder, even one left empty
            fid = self.next_id("folders")
            folder_ids[name] = fid
            start = folder_made[parent] + 60 if parent else lo
            c = start + int((hi - start) * rng.random())
            folder_made[name] = c
            self.rows["folders"].append({
                "id": fid, "name": name, "parent_id": folder_ids.get(parent) if parent else None,
                "campus_id": None, "container": None, "created_at": _ts(c),
                "updated_at": _ts(self._s_later(c, 0.3))})
        type_ids = []
        for seq, (name, folder, frequency) in enumerate(specs):
            sid = self.next_id("service_types")
            type_ids.append(sid)
            start = folder_made[folder] + 60 if folder else lo
            c = start + int((hi + YEAR - start) * rng.random())
            self.rows["service_types"].append({
                "id": sid, "name": name, "parent_id": folder_ids.get(folder) if folder else None,
                "archived_at": None, "attachment_types_enabled": False,
                "background_check_permissions": "default",
                "comment_permissions": "Scheduled Viewer", "created_at": _ts(c),
                "custom_item_types": [], "deleted_at": None, "frequency": frequency,
                "last_plan_from": "plan", "permissions": "Administrator", "sequence": seq,
                "standard_item_types": [], "updated_at": _ts(self._s_later(c, 0.5))})
        by_name = {name: sid for (name, _, _), sid in zip(specs, type_ids)}
        for team in self.rows["teams"]:
            base = team["name"].split(" - ")[0]
            primary = (by_name.get("Youth Night") if base == "Student Ministry" else
                       by_name.get("Sunday Morning") if base == "Kids Ministry" else None)
            primary = primary or type_ids[min(int(rng.random() ** 2 * len(type_ids)),
                                              len(type_ids) - 1)]
            listed = [primary]
            if len(type_ids) > 1 and rng.random() < 0.3:
                listed.append(rng.choice([t for t in type_ids if t != primary]))
            team["service_type_id"], team["service_type_ids"] = primary, listed
        shared = [t for t in self.rows["teams"] if len(t["service_type_ids"]) > 1]
        if not shared and len(type_ids) > 1 and len(self.rows["teams"]) > 1:
            last = self.rows["teams"][-1]  # a church always has one team serving two
            last["service_type_ids"].append(
                rng.choice([t for t in type_ids if t != last["service_type_id"]]))

        # People in Services: every assignment holder, then a few more without assignments.
        first_assigned: dict[str, int] = {}
        for a in self.rows["person_team_position_assignments"]:
            t = _epoch(a["created_at"])
            first_assigned[a["person_id"]] = min(t, first_assigned.get(a["person_id"], t))
        holders = sorted(first_assigned, key=int)
        others = sorted((p["id"] for p in self.adults if p["id"] not in first_assigned), key=int)
        extra = sorted(rng.sample(others, min(len(others), max(3, self.target // 50))), key=int)
        archived = set(rng.sample(extra, min(len(extra), 1 if self.target < 500 else 2)))
        services_ids = sorted(holders + extra, key=int)
        for pid in services_ids:
            pc = self.person_by_id(pid)["created_at_s"]
            until = first_assigned.get(pid, self.now_s - 3600)
            created = pc + int(max(0, until - pc) * rng.random())
            perm = rng.choices(SERVICES_PERMISSIONS, weights=(70, 15, 7, 6, 2))[0]
            top = SERVICES_PERMISSIONS.index(perm)
            max_perm = perm if rng.random() < 0.8 else SERVICES_PERMISSIONS[
                rng.randint(top, len(SERVICES_PERMISSIONS) - 1)]
            archived_at = None
            updated = self._s_later(created, 0.4)
            if pid in archived:
                archived_at = created + 60 + int(max(0, self.now_s - 120 - created) *
                                                 rng.random())
                updated = archived_at
            self.rows["services_people"].append({
                "id": pid, "archived": archived_at is not None,
                "archived_at": _ts(archived_at) if archived_at is not None else None,
                "assigned_to_rehearsal_team": False, "created_at": _ts(created),
                "first_name": None, "full_name": None, "last_name": None,
                "max_permissions": max_perm, "permissions": perm,
                "photo_thumbnail_url": None, "photo_url": None, "status": None,
                "updated_at": _ts(updated)})
            self.rows["person_apps"].append({
                "id": self.next_id("person_apps"), "person_id": pid,
                "app_id": SERVICES_APP_ID, "allow_pco_login": rng.random() < 0.3,
                "people_permissions": None})

    def _s_later(self, t: int, p_change: float) -> int:
        """Like later(), from the Services stream (self.rng must not be touched here)."""
        end = self.now_s - 60
        if end <= t or self.srng.random() >= p_change:
            return t
        return t + int((end - t) * self.srng.random())

    # ---- all ------------------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        self.generate_people()
        for p in self.rows["people"]:
            p["created_at_s"] = p["created_at"]
        self.finish_people()
        self.generate_groups()
        self.generate_events()
        self.generate_teams()
        self.generate_services()
        for p in self.rows["people"]:
            del p["created_at_s"]
        for table in GENERATED_TABLES:
            self.store.bulk_insert(table, self.rows[table])
        return {t: len(self.rows[t]) for t in GENERATED_TABLES}


def _epoch(stamp: str) -> int:
    return calendar.timegm(time.strptime(stamp, ISO))


def generate(store: Store, people: int, seed: int = 1, *,
             now: datetime | None = None) -> dict[str, int]:
    """Fill `store` (assumed empty, after store.reset()) with a deterministic church of
    about `people` people and everything in proportion. Resets nothing. Returns the number
    of rows made per table.

    The same (people, seed, now) gives byte-identical data. `now` defaults to the fixed
    REFERENCE_NOW, never the wall clock; every created_at/updated_at is before it.
    """
    when = (now or REFERENCE_NOW).astimezone(timezone.utc).replace(microsecond=0)
    return _Gen(store, people, seed, when).run()


# Every table generated here is one the schema describes.
assert all(t in RESOURCES for t in GENERATED_TABLES)
