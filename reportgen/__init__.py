"""reportgen: a clinical registry's export in, a draft manuscript out (PDF and Word).

The data flow one way: load → validate → derive → analyse → results → format →
document → write. See DESIGN.md in the project's shared folder and README.md.
"""

#: The release, in semantic versioning (MAJOR.MINOR.PATCH); CHANGELOG.md says what each one changed.
__version__ = "0.2.0"
