"""Which files the wheel carries. Metadata and dependencies are in pyproject.toml.

The repository keeps ``templates/``, ``content/`` (the demo's sample articles) and ``static/`` at its root; each
becomes package data of ``syndication`` (``syndication/_templates``…), found at run time through
``syndication.paths`` with :mod:`importlib.resources`.
"""

from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).resolve().parent
# Package name in the wheel → folder at the repository root (mirrors syndication.paths.BUNDLED).
BUNDLED = {
    name: folder
    for name, folder in {
        "syndication._templates": "templates",
        "syndication._content": "content",
        "syndication._static": "static",
    }.items()
    if (ROOT / folder).is_dir()
}

setup(
    packages=[*find_packages(include=["syndication*", "subscribers*"]), *BUNDLED],
    package_dir=BUNDLED,
    package_data={
        "syndication": [
            "py.typed",
            # The gettext catalogs, compiled when first used (syndication.i18n).
            "locale/*/LC_MESSAGES/*.po",
            "store/migrations/*.py",
            "store/migrations/*.mako",
            "store/migrations/*.ini",
            "store/migrations/versions/*.py",
        ],
        **{name: ["**/*"] for name in BUNDLED},
    },
)
