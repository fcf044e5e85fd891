"""Where the project's bundled files are (templates, sample content)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
SAMPLE_CONTENT_DIR = PROJECT_ROOT / "content"
