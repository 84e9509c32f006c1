"""``python -m curation`` is the ``curate`` command."""

from curation.cli import main

raise SystemExit(main())
