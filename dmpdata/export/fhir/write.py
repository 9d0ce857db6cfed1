"""Writing the FHIR export: the shared tables' resources, then each per-patient part rendered on a worker and
appended in part order."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl

from dmpdata import reference
from dmpdata.export.fhir.audit import audit_event_resources
from dmpdata.export.fhir.care import condition_resources, encounter_resources, observation_resources
from dmpdata.export.fhir.consent import event_consent_resources, patient_consent_resources
from dmpdata.export.fhir.documents import document_resources
from dmpdata.export.fhir.organizations import assurance_maladie_resource, organization_resources
from dmpdata.export.fhir.people import (
    patient_resources,
    practitioner_resources,
    practitioner_role_resources,
    with_identity_statuses,
)
from dmpdata.export.subset import Selection
from dmpdata.layout import DatasetFolder, read_part
from dmpdata.parallel import pool

_CONSENT_EVENT_COLUMNS = [
    "event_id",
    "occurred_at",
    "patient_id",
    "document_id",
    "target_professional_id",
    "action",
]
_CONSENT_ACTIONS = list(reference.codes("access_actions", consent=True))

# The per-patient tables, in the order their resources are written, and what each part renders.
_PER_PART = {
    "patients": (("Patient", patient_resources), ("Consent", patient_consent_resources)),
    "encounters": (("Encounter", encounter_resources),),
    "conditions": (("Condition", condition_resources),),
    "documents": (("DocumentReference", document_resources),),
    "observations": (("Observation", observation_resources),),
    "access_events": (("AuditEvent", audit_event_resources),),
}


def _lines_file(lines: pl.Series, path: Path) -> None:
    with open(path, "wb") as handle:
        pl.DataFrame({"json": lines}).write_csv(handle, include_header=False, quote_style="never")


def render_part(
    table: str, part: str, selection: Selection, organizations: pl.DataFrame, work: str
) -> tuple[dict[str, str], dict[str, int], pl.DataFrame | None]:
    """Render one Parquet part of a per-patient table into NDJSON files under `work` (runs on a worker).

    Returns (resource type -> file, resource type -> lines, the part's consent-relevant events or None)."""
    frame = selection.rows(table, read_part(part))
    if table == "patients":
        frame = _with_identity(frame, part)
    files, counts = {}, {}
    for resource_type, render in _PER_PART[table]:
        lines = render(frame, organizations) if table == "documents" else render(frame)
        if lines.is_empty():
            continue
        path = Path(work) / f"{resource_type}-{Path(part).parent.name}-{Path(part).stem}.ndjson"
        _lines_file(lines, path)
        files[resource_type], counts[resource_type] = str(path), lines.len()
    events = (
        frame.select(_CONSENT_EVENT_COLUMNS).filter(pl.col("action").is_in(_CONSENT_ACTIONS))
        if table == "access_events"
        else None
    )
    return files, counts, events


def _with_identity(patients: pl.DataFrame, part: str) -> pl.DataFrame:
    """The patients of a part with their identity status at export, from the chunk's identity records (the part of
    the same number); none for a dataset of before identity records: no qualified identity, no INS sent."""
    sibling = Path(part).parent.parent / "identity_records" / Path(part).name
    records = (
        read_part(sibling, ["patient_id", "status"])
        if sibling.exists()
        else pl.DataFrame(schema={"patient_id": pl.Int64, "status": pl.String})
    )
    return with_identity_statuses(patients, records)


class _Output:
    """The final `<ResourceType>.ndjson` files, appended to in a fixed order (same bytes whatever the workers)."""

    def __init__(self, root: Path):
        self.root, self.counts, self._handles = root, {}, {}

    def _handle(self, resource_type: str):
        name = f"{resource_type}.ndjson"
        if name not in self._handles:
            self._handles[name] = open(self.root / name, "wb")  # noqa: SIM115 (closed in close())
            self.counts[name] = 0
        return name, self._handles[name]

    def write(self, resource_type: str, lines: pl.Series) -> None:
        if lines.is_empty():
            return
        name, handle = self._handle(resource_type)
        pl.DataFrame({"json": lines}).write_csv(handle, include_header=False, quote_style="never")
        self.counts[name] += lines.len()

    def append(self, resource_type: str, path: str, lines: int) -> None:
        name, handle = self._handle(resource_type)
        with open(path, "rb") as part:
            shutil.copyfileobj(part, handle, 1 << 20)
        Path(path).unlink()
        self.counts[name] += lines

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()


def _shared(ds: DatasetFolder, selection: Selection, table: str) -> pl.DataFrame:
    """A table shared by every patient, whole (its selected rows); empty when the dataset has none."""
    parts = [selection.rows(table, read_part(p)) for p in (ds.files(table) if table in ds.tables else [])]
    return pl.concat(parts) if parts else pl.DataFrame()


def _write_shared(ds: DatasetFolder, selection: Selection, out: _Output) -> pl.DataFrame:
    """Write the professionals' and organizations' resources; return the organizations' columns documents need."""
    professionals = _shared(ds, selection, "professionals")
    if professionals.height:
        out.write("Practitioner", practitioner_resources(professionals))
        out.write("PractitionerRole", practitioner_role_resources(professionals))
    organizations = _shared(ds, selection, "organizations")
    if organizations.height:
        out.write("Organization", organization_resources(organizations))
    out.write("Organization", assurance_maladie_resource())
    return (
        organizations.select("organization_id", "facility_type_code", "practice_setting")
        if organizations.height
        else pl.DataFrame(
            schema={
                "organization_id": pl.Int64,
                "facility_type_code": pl.String,
                "practice_setting": pl.String,
            }
        )
    )


def write_fhir(
    ds: DatasetFolder,
    selection: Selection,
    root: Path,
    progress: Callable[[str, int, int], None] | None = None,
    workers: int | None = None,
) -> dict[str, int]:
    """Write one `<ResourceType>.ndjson` per resource type (FHIR Bulk Data layout); file -> lines.

    The per-patient tables are rendered part by part on `workers` processes (default: every core), each part
    into its own file, then appended in part order: memory stays bounded by one part per worker."""
    report = progress or (lambda stage, done, total: None)
    out = _Output(root)
    work = root / ".parts"
    work.mkdir()
    try:
        org_columns = _write_shared(ds, selection, out)
        calls = [
            (
                table,
                str(part),
                selection,
                org_columns if table == "documents" else org_columns.clear(),
                str(work),
            )
            for table in _PER_PART
            for part in (ds.files(table) if table in ds.tables else [])
        ]
        with pool("local", workers, len(calls)) as run:
            results = run(render_part, calls, lambda done, total: report("resources", done, total))
        events = []
        for files, counts, part_events in results:
            for resource_type, path in files.items():
                out.append(resource_type, path, counts[resource_type])
            if part_events is not None:
                events.append(part_events)
        if events:
            out.write("Consent", event_consent_resources(pl.concat(events)))
    finally:
        out.close()
        shutil.rmtree(work, ignore_errors=True)
    return out.counts
