"""``python -m parity_tests.check`` is the ``parity-check`` command."""

from parity_tests.check.cli import main

raise SystemExit(main())
