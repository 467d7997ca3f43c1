"""garauth: pull private images from Google Artifact Registry in CI, with every snippet tested."""

__version__ = "0.1.0"
