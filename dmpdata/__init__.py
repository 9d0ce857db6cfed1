"""Synthetic DMP data."""
