"""The course: its notebooks (``course/*.ipynb``) and, importable, the experiments and figures
they show (``course.figures``), built on ``scratch``, ``torch_ref`` and ``parity_check.core``."""
