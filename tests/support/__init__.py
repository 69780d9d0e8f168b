"""Shared helpers for certtui's tests."""
