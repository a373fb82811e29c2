"""pexmail's loggers and what each level means.

* ``pexmail``: ERROR = a document refused or a file that cannot be read;
  WARNING = a row rejected, a contact due for review, an uncertain match;
  INFO = a step of the pipeline; DEBUG = timings.
* ``pexmail.progress``: the numbered steps, which the CLI turns into a progress bar.

Records carry identifiers only (file, row, column, household key, letter id),
never a field's value: case files hold names, addresses and debts of people in
hardship, and logs travel to places letters never go.
"""

from __future__ import annotations

import logging

LOGGER = logging.getLogger("pexmail")
PROGRESS = logging.getLogger("pexmail.progress")

# A library stays silent unless its host configures logging.
LOGGER.addHandler(logging.NullHandler())
