"""reportgen: a clinical registry's export in, a draft manuscript out (PDF and Word).

The data flow one way: load → validate → derive → analyse → results → format →
document → write. See DESIGN.md in the project's shared folder and README.md.
"""

__version__ = "0.1.0"
