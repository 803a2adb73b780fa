"""inmail-sim: a discrete-event simulator of recruiter InMail outreach."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("inmail-sim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+local"
