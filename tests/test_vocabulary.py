"""One home per vocabulary: every code list is a reference CSV, and schemas, generators, the access rule and the
exports read it instead of writing the list again."""

from __future__ import annotations

import ast
from pathlib import Path

import polars as pl
import pytest

from dmpdata import reference as ref
from dmpdata.schemas import MODELS, access_rule

PACKAGE = Path(ref.__file__).resolve().parents[1]
VOCABULARIES = sorted(ref.VOCABULARIES)

# table.column -> (vocabulary, filter): the schema's isin set is exactly the vocabulary's codes, in its order.
SCHEMA_COLUMNS = {
    ("organizations", "sector"): ("sectors", {"care": True}),
    ("professionals", "sector"): ("sectors", {"care": True}),
    ("documents", "sector"): ("sectors", {}),
    ("documents", "author_kind"): ("actor_kinds", {}),
    ("documents", "status"): ("document_statuses", {}),
    ("documents", "confidentiality"): ("confidentiality_codes", {"kind": "hl7"}),
    ("patients", "mes_status"): ("mes_statuses", {}),
    ("identity_records", "status"): ("identity_statuses", {}),
    ("patients", "matricule_kind"): ("matricule_kinds", {}),
    ("patients", "sex"): ("sexes", {}),
    ("professionals", "sex"): ("sexes", {}),
    ("encounters", "kind"): ("encounter_kinds", {}),
    ("access_events", "actor_kind"): ("actor_kinds", {}),
    ("access_events", "action"): ("access_actions", {}),
    ("access_events", "outcome"): ("access_outcomes", {}),
    ("access_events", "access_mode"): ("access_modes", {}),
    ("access_events", "channel"): ("channels", {}),
    ("access_events", "auth_mode"): ("auth_modes", {}),
}


def _isin(table: str, column: str) -> list[str]:
    checks = MODELS[table].to_schema().columns[column].checks
    return next(list(c.statistics["allowed_values"]) for c in checks if c.name == "isin")


@pytest.mark.parametrize("name", VOCABULARIES)
def test_vocabulary_is_well_formed(name):
    table = ref.load(name)
    key = ref.VOCABULARIES[name]
    assert table[key].null_count() == 0 and table[key].is_unique().all(), name
    assert (table[key].str.strip_chars() == table[key]).all() and (table[key].str.len_chars() > 0).all()
    assert table["source"].null_count() == 0 and (table["source"].str.strip_chars().str.len_chars() > 0).all()
    assert table["label"].null_count() == 0
    for order in [c for c in table.columns if c == ref.ORDER or c.endswith("_order")]:
        assert sorted(table[order].to_list()) == list(range(1, table.height + 1)), (name, order)
    assert len(ref.codes(name)) == table.height


def test_every_schema_code_column_reads_its_vocabulary():
    for (table, column), (name, where) in SCHEMA_COLUMNS.items():
        assert set(_isin(table, column)) == set(ref.codes(name, **where)), (table, column)


@pytest.mark.parametrize(
    ("table", "column"),
    [(t, c) for (t, c), (name, _) in SCHEMA_COLUMNS.items() if ref.ORDER in ref.load(name).columns],
)
def test_isin_sets_keep_the_vocabulary_order(table, column):
    # the data dictionary lists a small isin set in the order it was given: the vocabulary's
    name, where = SCHEMA_COLUMNS[(table, column)]
    assert _isin(table, column) == list(ref.codes(name, **where))


def test_vocabularies_agree_with_each_other():
    actors = ref.codes("actor_kinds")
    assert set(ref.load("channels")["actor_kind"]) == set(actors)
    non_care = ref.codes("sectors", care=False)
    assert non_care == tuple(a for a in actors if a != "professional")  # documents.sector = author_kind
    assert set(ref.load("facility_types")["sector"]) <= set(ref.codes("sectors", care=True))
    assert set(ref.load("workforce")["sector"]) <= set(ref.codes("sectors", care=True))
    assert set(ref.load("encounter_kinds")["sector"]) <= set(ref.codes("sectors", care=True))
    assert set(ref.load("organization_counts")["sector"]) <= set(ref.codes("sectors", care=True))
    assert set(ref.load("feeding")["sector"]) <= {*ref.codes("sectors", care=True), "*"}
    denied = ref.load("access_outcomes").filter(pl.col("denied"))["code"]
    assert set(denied) == {o for o in ref.codes("access_outcomes") if o != "granted"}


def test_access_rule_reads_the_outcomes_in_rule_order():
    assert ref.codes("access_outcomes", order="rule_order") == access_rule.OUTCOMES
    assert access_rule.OUTCOMES[-1] == "granted"  # granted when no check denies
    assert ref.codes("access_modes") == access_rule.ACCESS_MODES


def test_generator_draw_orders_unchanged():
    """The generators index these tuples by drawn codes: a reordered CSV would silently change the data."""
    from dmpdata.generators import staff

    assert staff.SECTORS == ("ville", "etablissement", "medico_social")
    assert ref.codes("sectors") == (*staff.SECTORS, "patient", "assurance_maladie")
    assert ref.codes("actor_kinds") == ("professional", "patient", "assurance_maladie")
    assert ref.codes("confidentiality_codes", kind="hl7") == ("N", "R", "V")
    assert ref.codes("document_statuses") == ("approved", "deprecated", "archived", "deleted")
    assert ref.codes("mes_statuses") == ("not_created", "opposed", "not_activated", "activated", "closed")
    assert ref.codes("access_outcomes", order="rule_order") == (
        "denied_no_dmp",
        "denied_blocked",
        "denied_matrix",
        "denied_emergency_opt_out",
        "denied_masked",
        "granted",
    )
    assert ref.codes("access_modes", emergency=True) == ("bris_de_glace", "centre_15")
    # population.py draws sex and matricule kind as booleans (male, nia): its pairs must name these codes
    assert set(ref.codes("sexes")) == {"F", "M"} and set(ref.codes("matricule_kinds")) == {"NIR", "NIA"}


def test_labels_cover_the_chart_labels():
    """The charts' labels (and their order, which sorts legends and axes) come from the vocabularies."""
    assert list(ref.labels("sectors").values()) == [
        "Ville (community care)",
        "Établissement (hospitals, clinics)",
        "Médico-social (care homes, disability)",
        "Patient (own uploads)",
        "Assurance Maladie (reimbursement data)",
    ]
    assert ref.labels("sectors", "short_label") == {
        "ville": "ville",
        "etablissement": "hospital",
        "medico_social": "médico-social",
        "patient": "patient",
        "assurance_maladie": "Assurance Maladie",
    }
    assert ref.labels("channels", "chart_label") == {
        "lps": "Professional software (LPS, DMP-compatible)",
        "web_ps": "Web portal for professionals (web PS)",
    }
    # the denial reasons in the order the access rule checks them
    assert list(ref.labels("access_outcomes", order="rule_order", denied=True).items()) == [
        ("denied_no_dmp", "No open DMP for the patient"),
        ("denied_blocked", "Professional blocked by the patient"),
        ("denied_matrix", "Profession not allowed to read that document type (access matrix)"),
        ("denied_emergency_opt_out", "Emergency access refused by the patient (opt-out)"),
        ("denied_masked", "Document masked by the patient (masqué aux PS)"),
    ]


def test_time_bounds():
    bounds = {k: ref.time_bound(k) for k in ref.load("time_bounds")["key"]}
    assert bounds["earliest_birth"] < bounds["earliest_dmp_equipment"] < bounds["earliest_event"]
    assert bounds["earliest_event"] < bounds["latest_date"] <= bounds["latest_event"]
    with pytest.raises(KeyError):
        ref.time_bound("no_such_bound")


def test_unknown_vocabulary_or_order():
    with pytest.raises(KeyError):
        ref.codes("communes")
    with pytest.raises(KeyError):
        ref.codes("sectors", order="rule_order")


def _literal_code_lists(path: Path, vocabulary: set[str]) -> list[tuple[int, list[str]]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            values = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            named = sorted(set(values) & vocabulary)
            if len(named) >= 3:
                found.append((node.lineno, named))
    return found


@pytest.mark.parametrize("name", VOCABULARIES)
def test_no_literal_code_list_outside_reference(name):
    """No Python list, tuple or set under dmpdata/ (outside reference/) names three codes or more of a vocabulary.

    Rule logic that names a code or picks between two by a condition (`when(kind == "professional")`, the access
    rule's SQL) is allowed; a list of the vocabulary is not: it belongs in reference/<name>.csv."""
    vocabulary = set(ref.codes(name))
    offenders = {
        f"{path.relative_to(PACKAGE)}:{line}": named
        for path in sorted(PACKAGE.rglob("*.py"))
        if "reference" not in path.relative_to(PACKAGE).parts
        for line, named in _literal_code_lists(path, vocabulary)
    }
    assert not offenders, offenders


@pytest.mark.parametrize(
    ("mapping", "name"),
    [
        ("gender", "sexes"),
        ("encounter_class", "encounter_kinds"),
        ("document_status", "document_statuses"),
        ("audit_action", "access_actions"),
        ("audit_subtype", "access_actions"),
        ("purpose_of_use", "access_modes"),
    ],
)
def test_fhir_mappings_cover_their_vocabulary(mapping, name):
    """The FHIR export maps every code of the vocabulary, and nothing else."""
    values = ref.load("fhir_codes").filter(pl.col("mapping") == mapping)["value"]
    assert sorted(values) == sorted(ref.codes(name)), mapping


def test_fhir_document_context_maps_the_authors_without_a_structure():
    """Documents of the patient and the Assurance Maladie get their context from author_kind (a professional's
    from their structure)."""
    codes = ref.load("fhir_codes")
    practice = codes.filter(pl.col("mapping") == "document_context_practice")["value"]
    facility = codes.filter(pl.col("mapping") == "document_context_facility")["value"]
    others = [a for a in ref.codes("actor_kinds") if a != "professional"]
    assert sorted(practice) == sorted(others) and set(facility) <= set(others)


def test_charts_read_their_labels_from_the_vocabularies():
    """The charts hold no copy of a vocabulary's labels: theirs are the reference tables'."""
    from dmpdata.charts import _labels

    assert ref.labels("sectors") == _labels.SECTORS
    assert ref.labels("sectors", "short_label") == _labels.SECTORS_SHORT
    assert ref.labels("channels", "chart_label") == _labels.CHANNELS
    assert ref.labels("access_outcomes", order="rule_order", denied=True) == _labels.DENIAL_REASONS
