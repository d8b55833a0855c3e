"""Learner-style implementations written for the table test ``test_learner_corpus.py``.

Each file imitates one style learners write in (CS231n's function pairs and update rules, the
"Deep Learning from Scratch" book's classes, nnfs, deeplearning.ai, Holberton step functions,
``backward(grad, learning_rate)`` layers, blog schedules, plain functions, scratch's protocol)
and says in its docstring whether it is right or which mistake it makes. ``expected.py`` is the
table: what parity-check must answer for each. The files are loaded by path, as a learner's
would be; none is imported by the suite.
"""
