"""The one thing pyproject.toml cannot say: the repository keeps the notebooks at its top level
(``notebooks/``), and the wheel carries them inside the package, as ``recops/kit/shipped/`` (the
notebooks) and ``recops/kit/shipped/apps/`` (the apps of ``recops lab --app``), without their
jupytext ``text/`` forms. ``recops lab`` finds them there (recops/kit/workcopy.py); in a checkout it
uses ``notebooks/`` itself. Their package data, and everything else, is in pyproject.toml."""

from setuptools import find_packages, setup

SHIPPED = {"recops.kit.shipped": "notebooks", "recops.kit.shipped.apps": "notebooks/apps"}

setup(
    packages=[*find_packages(include=["recops*"]), *SHIPPED],
    package_dir=SHIPPED,
)
