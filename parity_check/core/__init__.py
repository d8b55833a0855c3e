"""The comparison core, written once and imported downwards by everything that compares.

``harness``: the precision profiles, ``assert_close``/``measure`` (built on
``torch.testing.assert_close``), headroom, the seeded inputs and upstream gradients;
``records``: the comparison records a test run dumps and their summary (the worst headroom);
``catalog``: every public scratch component, its torch twin, its course section and its tests.
The test suite (``parity_tests``), the checker (``parity_check``), the course's figures
(``course.figures``) and the site all import from here; this package imports none of them.
"""
