"""Readable labels of the codes the charts show ({code: label}), in the order the charts list them.

The dataset's vocabularies are read from their reference tables (one home per vocabulary); only the bands
of an analysis's own output are defined here.
"""

from __future__ import annotations

from dmpdata import reference

SECTORS = reference.labels("sectors")
SECTORS_SHORT = reference.labels("sectors", "short_label")
CHANNELS = reference.labels("channels", "chart_label")
DENIAL_REASONS = reference.labels("access_outcomes", order="rule_order", denied=True)
HBA1C_BANDS = {"0": "No test", "1": "1 test", "2-3": "2-3 tests", "4+": "4 or more (HAS: one every 3 months)"}
FOLLOW_UP_COHORTS = {
    "diabetes_type2": "Type 2 diabetes",
    "heart_failure": "Heart failure",
    "chronic_kidney_disease": "Chronic kidney disease",
    "cancer_survivors": "Cancer, 2-5 years after onset",
}
MULTIMORBIDITY = {"share_0": "No pathology", "share_1": "1", "share_2": "2", "share_3_plus": "3 or more"}
