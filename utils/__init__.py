"""Shared helpers of the 'Keras vs TensorFlow vs PyTorch' notebooks, one module per concern.

setup (quiet logs, seeds, threads, device report, setup check), data (offline datasets, same batches for
every framework), models (one model in three frameworks from one set of weights), backends (a function under
another Keras back end, in a child process), equivalence (do the three compute the same thing?),
code_metrics (readability counted from source), bench (the speed benchmark kit), plots (one style),
exercises (checks that explain a wrong answer), timings (each notebook's seconds and peak memory),
checks (the argument checks the helpers share).
"""
