"""FHIR R4 export: resources as Bulk Data NDJSON, built with polars expressions, claiming FR Core 2.1.0 / TdE 2.0.0.

Every resource is one polars struct per row, JSON-encoded by polars (`struct.json_encode`); the nulls and empty
arrays/objects of optional elements are then removed with regular expressions over the whole column (FHIR JSON
allows neither). No per-row Python. URLs, systems and code mappings come from reference/fhir_systems.csv and
reference/fhir_codes.csv (dmpdata.export.terms); a resource claims a profile (pinned url|version) only when it meets
that published version (tests/test_fhir_conformance.py checks it): DocumentReference follows PDSm's shape without
claiming it (no document contents), Consent claims none (fr-core-consent is unpublished).

One module per resource family (people, organizations, care, documents, audit, consent), over the expression
helpers of `expr` (their underscore names are the package's internals); `write` renders the dataset's parts.
"""

from __future__ import annotations

from dmpdata.export.fhir.expr import RESOURCE_TYPES, strip_empty
from dmpdata.export.fhir.people import patient_resources
from dmpdata.export.fhir.write import write_fhir

__all__ = ["RESOURCE_TYPES", "patient_resources", "strip_empty", "write_fhir"]
