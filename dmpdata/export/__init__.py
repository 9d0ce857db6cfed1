"""Exports for seeding test environments: FHIR R4 Bulk Data NDJSON and CSV, of a whole dataset or a subset."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dmpdata._version import __version__
from dmpdata.errors import DmpdataError
from dmpdata.export.csv import write_csv
from dmpdata.export.fhir import write_fhir
from dmpdata.export.output import EXPORT_JSON, check_output, file_entries, staging
from dmpdata.export.subset import Subset, SubsetError, select
from dmpdata.layout import MANIFEST, SYNTHETIC_NOTICE, DatasetFolder, sha256_of
from dmpdata.parallel import leave_if_bootstrapping

__all__ = ["FORMATS", "ExportResult", "Subset", "SubsetError", "export"]

FORMATS = {
    "fhir": "FHIR R4 Bulk Data NDJSON, one file per resource type",
    "csv": "one CSV per table + data dictionary",
}


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    counts: dict[str, int]  # file -> rows (lines)
    patients: int


def export(
    dataset: str | Path | DatasetFolder,
    out: str | Path,
    *,
    format: str = "fhir",
    subset: Subset | None = None,
    force: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    workers: int | None = None,
) -> ExportResult:
    """Export `dataset` (or the `subset` of it) as `format` into folder `out`, atomically.

    `out` must be absent or empty, or, with `force`, a previous dmpdata export holding nothing else. FHIR
    resources are rendered part by part on `workers` processes (default: every core); same bytes for any number."""
    leave_if_bootstrapping()  # a worker re-importing an unguarded script: stop before writing anything
    if format not in FORMATS:
        raise DmpdataError(f"unknown export format {format!r}; choose one of: {', '.join(FORMATS)}")
    ds = dataset if isinstance(dataset, DatasetFolder) else DatasetFolder.open(dataset)
    out = Path(out)
    if out.resolve() == ds.path.resolve():
        raise DmpdataError(f"--out {out} is the dataset folder itself; choose another folder")
    check_output(out, force)
    selection = select(ds, subset, progress)
    with staging(out) as tmp:
        if format == "fhir":
            counts = write_fhir(ds, selection, tmp, progress, workers=workers)
        else:
            counts = write_csv(ds, selection, tmp, progress)
        patients = selection.counts.get("patients", ds.row_counts.get("patients", 0))
        meta = {
            "generator": "dmpdata",
            "dmpdata_version": __version__,
            "kind": "export",
            "format": format,
            "description": FORMATS[format],
            "synthetic": True,
            "notice": SYNTHETIC_NOTICE,
            "source": _source(ds),
            "subset": None
            if subset is None or subset.is_everything
            else {**subset.to_json(), "selected": selection.counts},
            "patients": patients,
            "counts": dict(sorted(counts.items())),
            "files": file_entries(tmp, counts),
        }
        (tmp / EXPORT_JSON).write_text(
            json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return ExportResult(out, format, dict(sorted(counts.items())), patients)


def _source(ds: DatasetFolder) -> dict:
    """What export.json says of the dataset exported: its folder, scenario, seed and manifest's sha256."""
    return {
        "dataset": str(ds.path),
        "scenario": ds.manifest.get("scenario", {}).get("name"),
        "seed": ds.manifest.get("seed"),
        "manifest_sha256": sha256_of(ds.path / MANIFEST),
    }
