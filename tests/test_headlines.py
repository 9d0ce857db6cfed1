"""The headline figures (dmpdata.headlines): one definition, read by the report and by the demo's summary."""

from __future__ import annotations

import polars as pl
import pytest

from dmpdata import headlines, reference


@pytest.fixture(scope="module")
def con(tiny):
    connection = tiny.duckdb()
    yield connection
    connection.close()


def test_figures_agree_with_the_tables(tiny, con):
    values = headlines.figures(con)
    assert set(values) == set(headlines.FIGURES)
    patients = tiny.table("patients").collect()
    documents = tiny.table("documents").collect()
    consults = tiny.table("access_events").filter(pl.col("action") == "consult").collect()
    assert values["patients"] == patients.height
    assert values["women"] == pytest.approx((patients["sex"] == "F").mean())
    assert values["deaths"] == patients["death_date"].is_not_null().sum()
    assert values["nia"] == (patients["matricule_kind"] == "NIA").sum()
    assert values["opposed"] == pytest.approx((patients["mes_status"] == "opposed").mean())
    assert values["activated"] == pytest.approx((patients["mes_status"] == "activated").mean())
    assert values["with_gp"] == pytest.approx(patients["gp_professional_id"].is_not_null().mean())
    assert values["documents"] == documents.height
    assert values["documents_per_patient"] == pytest.approx(documents.height / patients.height)
    assert values["lab_reports"] == pytest.approx((documents["type_code"] == "11502-2").mean())
    withheld = tiny.table("identity_records").select(pl.col("documents_withheld").sum()).collect().item()
    assert values["withheld"] == withheld > 0
    assert values["consultations"] == consults.height
    assert values["denied"] == pytest.approx((consults["outcome"] != "granted").mean())
    assert values["bris_de_glace"] == (consults["access_mode"] == "bris_de_glace").sum()


def test_report_and_summary_share_labels_and_values(tiny, con):
    report = dict(headlines.headlines(con))
    summary = dict(headlines.summary(con))
    assert list(report) == [headlines.FIGURES[k][0] for k in headlines.REPORT]
    for key in set(headlines.REPORT) & set(headlines.SUMMARY):
        label = headlines.FIGURES[key][0]
        assert report[label] == summary[label]
    # one line per pathology group present, most frequent first, each the share of patients with one of its pathologies
    groups = (
        tiny.table("conditions")
        .collect()
        .join(reference.load("pathologies").select("pathology", "group"), on="pathology")
        .join(reference.load("pathology_groups").select("group", "label"), on="group")
        .group_by("label")
        .agg(pl.col("patient_id").n_unique().alias("n"))
        .sort(["n", "label"], descending=[True, False])
    )
    patients = tiny.table("patients").collect().height
    expected = [(f"patients with {label}", f"{n / patients:.1%}") for label, n in groups.iter_rows()]
    assert [(k, v) for k, v in summary.items() if k.startswith("patients with ")] == expected
    assert len(expected) <= 16  # one line per group, not per CIM-10 code
    assert report["patients"] == f"{tiny.table('patients').collect().height:,}"
