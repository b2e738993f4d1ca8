"""churches.yaml read into Church records (pco_sync.churches): what each field becomes, the
defaults, and an error naming the church and the field for anything that cannot be used."""
from __future__ import annotations

import pytest

from pco_sync import churches
from pco_sync.churches import Church, ChurchesFileError


def parse(*entries) -> list[Church]:
    return churches.parse({"churches": list(entries)}, "churches.yaml")


def test_no_file_is_the_default_church_as_before(tmp_path, monkeypatch):
    monkeypatch.setenv(churches.ENV_FILE, str(tmp_path / "absent.yaml"))
    [church] = churches.load()
    assert church == churches.DEFAULT
    assert (church.dag_id, church.pool, church.pco_conn_id, church.church_db_conn_id) == \
        ("pco_sync", "pco_api", "pco_default", "church_db")
    assert church.variable("pco_sync_resources") == "pco_sync_resources"
    assert (church.resources, church.push, church.schedule_offset) == (None, {}, 0)


def test_the_file_is_found_at_the_repository_root_unless_the_environment_names_one(monkeypatch):
    from pathlib import Path

    monkeypatch.delenv(churches.ENV_FILE, raising=False)
    assert churches.path() == Path(__file__).resolve().parents[1] / "churches.yaml"
    monkeypatch.setenv(churches.ENV_FILE, "/etc/pco/churches.yaml")
    assert churches.path() == Path("/etc/pco/churches.yaml")


def test_a_church_with_only_a_slug_takes_names_from_it():
    [grace] = parse({"slug": "grace"})
    assert grace == Church("grace", "grace", "pco_grace", "church_db_grace", None, {},
                           churches.stable_offset("grace"))
    assert (grace.dag_id, grace.pool) == ("pco_sync__grace", "pco_api__grace")
    assert grace.variable("pco_sync_push_scope") == "pco_sync_push_scope__grace"
    assert not grace.is_default


def test_every_field(tmp_path):
    file = tmp_path / "churches.yaml"
    file.write_text("""
churches:
  - slug: grace
    name: Grace Church
    pco_conn_id: pco_grace_prod
    church_db_conn_id: grace_db
    resources: [households, people]
    push: {scope: sync_groups, sync_groups: [Choir], require_email: false, max_changes: 50}
    schedule_offset: 7
  - slug: hope2
""")
    grace, hope = churches.load(file)
    assert grace == Church("grace", "Grace Church", "pco_grace_prod", "grace_db",
                           ("people", "households"),  # registry order, whatever the file's
                           {"scope": "sync_groups", "sync_groups": ["Choir"],
                            "require_email": False, "max_changes": 50}, 7)
    assert hope.slug == "hope2" and hope.pco_conn_id == "pco_hope2"
    assert churches.by_slug("hope2", [grace, hope]) is hope
    assert churches.by_dag_id("pco_sync__grace", [grace, hope]) is grace
    assert churches.by_dag_id("pco_sync", [grace, hope]) is None  # no default church then


def test_offsets_are_stable_and_within_the_quarter_hour():
    # The same minute on every parse and every machine (a hash of the slug, not Python's
    # per-process hash()): a church's runs do not move when the DAG processor restarts.
    assert [churches.stable_offset(s) for s in ("grace", "hope", "st_marks")] == [1, 8, 6]
    slugs = [f"church_{i}" for i in range(300)]
    offsets = [churches.stable_offset(s) for s in slugs]
    assert set(offsets) == set(range(15))  # every minute used: runs spread over the quarter
    assert max(offsets.count(m) for m in range(15)) < 40  # ... roughly evenly (300/15 = 20)
    assert [c.schedule_offset for c in parse(*({"slug": s} for s in slugs[:20]))] == offsets[:20]
    [chosen] = parse({"slug": "grace", "schedule_offset": 0})
    assert chosen.schedule_offset == 0


@pytest.mark.parametrize("slug", ["Grace", "1grace", "grace-church", "grace church", "", None, 7,
                                  "g" * 41, "café"])
def test_bad_slugs(slug):
    with pytest.raises(ChurchesFileError, match=r"church 1: slug .* must be lower case"):
        parse({"slug": slug})


def test_default_is_not_a_slug_of_the_file():
    with pytest.raises(ChurchesFileError, match="'default' is the deployment without a churches"):
        parse({"slug": "default"})


def test_a_church_listed_twice():
    with pytest.raises(ChurchesFileError, match="church 'grace' is listed twice"):
        parse({"slug": "grace"}, {"slug": "hope"}, {"slug": "grace", "name": "Grace again"})


@pytest.mark.parametrize("entry, message", [
    ({"slug": "grace", "pco_conn": "x"}, r"church 'grace': unknown field pco_conn \(fields: "),
    ({"slug": "grace", "name": ""}, "church 'grace': name must be a non-empty text"),
    ({"slug": "grace", "pco_conn_id": 5}, "church 'grace': pco_conn_id must be a non-empty text"),
    ({"slug": "grace", "church_db_conn_id": " "}, "church_db_conn_id must be a non-empty text"),
    ({"slug": "grace", "resources": ["people", "songs"]},
     "church 'grace': resources: unknown resource songs"),
    ({"slug": "grace", "resources": []}, "church 'grace': resources must list at least one"),
    ({"slug": "grace", "push": {"scope": "everyone", "shoe_size": 9}},
     "church 'grace': push must be a mapping of active_only, fields, max_changes"),
    ({"slug": "grace", "push": ["scope"]}, "church 'grace': push must be a mapping"),
    ({"slug": "grace", "schedule_offset": 15}, "schedule_offset must be a whole minute from 0 to 14"),
    ({"slug": "grace", "schedule_offset": -1}, "schedule_offset must be a whole minute"),
    ({"slug": "grace", "schedule_offset": 7.5}, "schedule_offset must be a whole minute"),
    ({"slug": "grace", "schedule_offset": True}, "schedule_offset must be a whole minute"),
    ("grace", "church 2: expected a mapping with at least `slug`"),
])
def test_bad_fields_name_the_church_and_the_field(entry, message):
    with pytest.raises(ChurchesFileError, match=message):
        parse({"slug": "ok"}, entry)


@pytest.mark.parametrize("text", ["", "churches: []", "churches: grace", "- slug: grace",
                                  "church:\n  - slug: grace"])
def test_a_file_without_a_list_of_churches(tmp_path, text):
    file = tmp_path / "churches.yaml"
    file.write_text(text)
    with pytest.raises(ChurchesFileError, match=r"churches.yaml: expected `churches:` with a list"):
        churches.load(file)


def test_a_file_that_is_not_yaml(tmp_path):
    file = tmp_path / "churches.yaml"
    file.write_text("churches:\n  - slug: [grace\n")
    with pytest.raises(ChurchesFileError, match="is not valid YAML"):
        churches.load(file)


def test_the_files_push_keys_are_the_push_settings():
    from pco_sync.push.settings import VARIABLES

    assert churches.PUSH_KEYS == set(VARIABLES)
