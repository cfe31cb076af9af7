"""docs/config.md is generated from the schema; it must match it, and every field must say what it is."""

from __future__ import annotations

from pathlib import Path

from sim.config_reference import ROOTS, reference_text, sections, undescribed

PAGE = Path(__file__).resolve().parents[1] / "docs" / "config.md"


def test_every_field_has_a_description():
    assert undescribed() == []


def test_the_page_matches_the_schema():
    assert PAGE.read_text(encoding="utf-8") == reference_text(), (
        "docs/config.md is out of date: run python -m sim.config_reference docs/config.md")


def test_the_page_has_a_section_for_every_block_and_a_row_for_every_field():
    text = reference_text()
    for _, root, _ in ROOTS:
        for model in sections(root):
            assert f"### {model.__name__}\n" in text
            body = text.split(f"### {model.__name__}\n", 1)[1].split("\n### ", 1)[0]
            for name, field in model.model_fields.items():
                if not field.exclude:
                    assert f"| `{name}` |" in body, f"{model.__name__}.{name}"


def test_types_defaults_and_constraints_read_as_words():
    text = reference_text()
    assert "| `restoration_days` | number (> 0) | `10.0` | time to close an inventory gap" in text
    assert "`ario` or `signed_gap` or `supply_line`" in text
    assert "| `io` | [IOConfig](#ioconfig) | required |" in text
    assert "Example (from `" in text
