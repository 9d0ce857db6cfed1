"""Independent test oracles: rules of the spec recomputed from raw tables, never via dmpdata.generators."""
