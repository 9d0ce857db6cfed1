"""Generator stages: pure, vectorised functions from a scenario and a random stream to polars frames."""
