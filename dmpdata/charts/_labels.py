"""Readable labels of the codes the charts show ({code: label}), in the order the charts list them."""

from __future__ import annotations

SECTORS = {
    "ville": "Ville (community care)",
    "etablissement": "Établissement (hospitals, clinics)",
    "medico_social": "Médico-social (care homes, disability)",
    "patient": "Patient (own uploads)",
    "assurance_maladie": "Assurance Maladie (reimbursement data)",
}
SECTORS_SHORT = {
    "ville": "ville",
    "etablissement": "hospital",
    "medico_social": "médico-social",
    "patient": "patient",
    "assurance_maladie": "Assurance Maladie",
}
CHANNELS = {
    "lps": "Professional software (LPS, DMP-compatible)",
    "web_ps": "Web portal for professionals (web PS)",
}
DENIAL_REASONS = {
    "denied_no_dmp": "No open DMP for the patient",
    "denied_blocked": "Professional blocked by the patient",
    "denied_matrix": "Profession not allowed to read that document type (access matrix)",
    "denied_emergency_opt_out": "Emergency access refused by the patient (opt-out)",
    "denied_masked": "Document masked by the patient (masqué aux PS)",
}
HBA1C_BANDS = {"0": "No test", "1": "1 test", "2-3": "2-3 tests", "4+": "4 or more (HAS: one every 3 months)"}
