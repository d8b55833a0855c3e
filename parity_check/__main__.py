"""``python -m parity_check`` is the ``parity-check`` command."""

from parity_check.cli import main

raise SystemExit(main())
