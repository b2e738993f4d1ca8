"""docs/schema.md is what the migrations' comments make now (python -m devkit.schema_docs):
a migration that adds or changes a table, a column or a comment regenerates the page."""
from __future__ import annotations

from devkit import schema_docs


def test_schema_page_is_what_the_migrations_make():
    page = schema_docs.generate()
    current = schema_docs.PAGE.read_text(encoding="utf-8") if schema_docs.PAGE.exists() else ""
    assert current == page, ("docs/schema.md differs from what the migrations' comments make "
                             "now: run make schema-docs")


def test_a_column_without_a_comment_is_listed_with_an_empty_description():
    rows = [("church", "people", "r", "Everyone | all", "id", "bigint", True, "The id."),
            ("church", "people", "r", "Everyone | all", "nick", "text", False, None),
            ("sync", "log", "v", None, "at", "timestamp with time zone", False, "When.\nThen.")]
    page = schema_docs.render(rows)
    assert "| `nick` | text |  |" in page
    assert "| `id` | bigint, not null | The id. |" in page
    assert "Everyone \\| all" in page and "When. Then." in page
    assert "### sync.log" in page and "*A view.*" in page
    assert "[church.people](#churchpeople)" in page and "## pco_staging" not in page
