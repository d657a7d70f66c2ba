"""reportgen: a clinical registry's export in, a draft manuscript out (PDF and Word).

The data flow one way: load → validate → derive → analyse → results → format →
document → write. See DESIGN.md in the project's shared folder and README.md.
From Python (a notebook, a script): ``reportgen.Study.open(folder)``, see :mod:`reportgen.api`.
"""

import importlib

#: The release, in semantic versioning (MAJOR.MINOR.PATCH); CHANGELOG.md says what each one changed.
__version__ = "0.3.0"

__all__ = ["Study", "__version__"]


def __getattr__(name: str) -> object:
    """``reportgen.Study`` (and ``reportgen.api``), imported on first use: ``import reportgen`` stays light
    (the command line and its worker processes import it before anything heavy)."""
    if name in ("Study", "api"):
        api = importlib.import_module("reportgen.api")
        return api if name == "api" else api.Study
    raise AttributeError(f"module 'reportgen' has no attribute {name!r}")
