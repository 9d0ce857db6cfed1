"""The dataset's headline figures, defined once: the report's first row and the demo's printed summary."""

from __future__ import annotations

from typing import Any

import duckdb

__all__ = ["FIGURES", "REPORT", "SUMMARY", "figures", "headlines", "summary"]

# Every headline figure: key → (label, format). One query (_SQL) computes them all.
FIGURES: dict[str, tuple[str, str]] = {
    "patients": ("patients", "{:,}"),
    "women": ("women", "{:.1%}"),
    "deaths": ("deaths over the period", "{:,}"),
    "nia": ("matricules that are NIA", "{:,}"),
    "opposed": ("Mon espace santé opposed", "{:.2%}"),
    "activated": ("Mon espace santé activated (end)", "{:.1%}"),
    "with_gp": ("with a médecin traitant", "{:.1%}"),
    "documents": ("DMP documents fed", "{:,}"),
    "documents_per_patient": ("documents per patient", "{:.1f}"),
    "lab_reports": ("of which lab reports", "{:.1%}"),
    "withheld": ("documents withheld (identity not qualified)", "{:,}"),
    "consultations": ("professional consultations", "{:,}"),
    "denied": ("of which denied", "{:.1%}"),
    "bris_de_glace": ("of which in bris de glace", "{:,}"),
}
# The figures the report shows, and those the demo prints (the pathology groups' shares go after `with_gp`).
REPORT = ("patients", "documents", "documents_per_patient", "activated", "consultations", "denied")
SUMMARY = (
    "women",
    "deaths",
    "nia",
    "opposed",
    "activated",
    "with_gp",
    "documents",
    "lab_reports",
    "withheld",
    "consultations",
    "denied",
    "bris_de_glace",
)

_SQL = """
WITH p AS (
    SELECT
        count(*)::BIGINT                                                    AS patients,
        coalesce(avg((sex = 'F')::INT), 0)::DOUBLE                          AS women,
        count(death_date)::BIGINT                                           AS deaths,
        count(*) FILTER (WHERE matricule_kind = 'NIA')::BIGINT              AS nia,
        coalesce(avg((mes_status = 'opposed')::INT), 0)::DOUBLE             AS opposed,
        coalesce(avg((mes_status = 'activated')::INT), 0)::DOUBLE           AS activated,
        coalesce(avg((gp_professional_id IS NOT NULL)::INT), 0)::DOUBLE     AS with_gp
    FROM patients
), d AS (
    SELECT count(*)::BIGINT AS documents, coalesce(avg((type_code = '11502-2')::INT), 0)::DOUBLE AS lab_reports
    FROM documents
), w AS (
    SELECT coalesce(sum(documents_withheld), 0)::BIGINT AS withheld FROM identity_records
), a AS (
    SELECT
        count(*)::BIGINT                                                    AS consultations,
        coalesce(avg((outcome <> 'granted')::INT), 0)::DOUBLE               AS denied,
        count(*) FILTER (WHERE access_mode = 'bris_de_glace')::BIGINT       AS bris_de_glace
    FROM access_events
    WHERE action = 'consult'
)
SELECT p.*, d.*, d.documents / greatest(p.patients, 1) AS documents_per_patient, w.*, a.*
FROM p, d, w, a
"""


def figures(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Every figure of FIGURES, as a number, computed on `con` (a connection holding the dataset tables)."""
    cursor = con.execute(_SQL)
    names = [column[0] for column in cursor.description]
    return dict(zip(names, cursor.fetchall()[0], strict=True))


def _labelled(values: dict[str, Any], keys: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(FIGURES[key][0], FIGURES[key][1].format(values[key])) for key in keys]


def headlines(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """The report's headline figures as (label, formatted value)."""
    return _labelled(figures(con), REPORT)


def summary(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """The demo's summary as (label, formatted value): SUMMARY's figures, with the share of patients with a
    pathology of each pathology group (ref_pathologies.group, labelled by ref_pathology_groups, most frequent first)
    after `with_gp`."""
    values = figures(con)
    groups = con.execute(
        'SELECT coalesce(g.label, r."group") AS label, count(DISTINCT c.patient_id) AS n FROM conditions AS c '
        "JOIN ref_pathologies AS r ON r.pathology = CAST(c.pathology AS VARCHAR) "
        'LEFT JOIN ref_pathology_groups AS g ON g."group" = r."group" GROUP BY ALL ORDER BY n DESC, 1'
    ).fetchall()
    patients = max(values["patients"], 1)
    shares = [(f"patients with {label}", f"{n / patients:.1%}") for label, n in groups]
    split = SUMMARY.index("with_gp") + 1
    return [*_labelled(values, SUMMARY[:split]), *shares, *_labelled(values, SUMMARY[split:])]
