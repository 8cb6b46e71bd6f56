"""Datasets: the manifest format, its loader and validator, the synthetic call generator,
the telephone channel, and importers for real speech and VoxCore's own calls."""

from lab.data.manifest import Dataset, ExpectedToolCall, ManifestRow, Turn, load_dataset

__all__ = ["Dataset", "ExpectedToolCall", "ManifestRow", "Turn", "load_dataset"]
