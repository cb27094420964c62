"""Shared helpers of the 'Keras vs TensorFlow vs PyTorch' notebooks: one module per concern.

A map for a new maintainer (each module's docstring says which notebooks use it):

The series' foundations, used everywhere
    frameworks   the one table of the frameworks (id, name, colour, Keras back end)
    checks       argument checks: TypeError for a wrong type, ValueError for a wrong value
    tables       the one text-table formatter; differences printed as claimed, not as rounding noise
    setup        the notebooks' first cell: check, quiet TensorFlow, seed, threads, device report
    processes    thread caps, a child process's environment, container memory, quiet stderr
    exercises    checks that explain a wrong answer and never crash
    verdicts     the series' one judge: counts, repeated measurements, item scores -> leads / about the same /
                 cannot tell, each with its rule and margin (every notebook that ranks)
    scenarios    a scenario's verdict across the three frameworks, recorded by 01-06 and 08, read by 07
    plots        one figure style and the framework colours
    results      each measuring notebook's key results as JSON (read by notebook 07)
    timings      each notebook's seconds and peak memory (`make timings`)
    execution    a notebook run whose cells cannot hang: bounded, the cell that timed out named

Models, data and training (notebooks 00-05)
    models       the same MLP / CNN / attention model in the three frameworks from one set of weights
    data         offline datasets and the same batches for every framework
    training     THE training step, once per framework (printed in 02, timed by bench)
    equivalence  do the three compute the same numbers? (00, 01)
    defaults     settings whose defaults differ, measured and aligned (01)
    porting      a learner's Keras -> PyTorch port run beside Keras: which layout decision goes wrong (01)
    backends     a function under another Keras back end, in a child process (00, 03)
    code_metrics readability counted from source (01, 03)
    traced_ops   the ops a tracer captured, counted by kind: compute, conversions, checks, bookkeeping (03)

One notebook each
    intro        notebook 00's exercise checks (answers computed inside, never shown) (00)
    bench        the speed benchmark kit, a package (02)
    debugging, bugs, debug_report   captured errors and their scores, the bug catalogue, tables (04)
    debug_tools  overfit one batch; compiled-step tools: dynamo's explain, run_functions_eagerly, jax.debug (04)
    shards, streaming, distributed  a dataset on disk, pipelines measured, data parallel (05)
    streaming_report                05's verdicts on those measurements (memory growth, speeds, scenarios)
    workers      DataLoader workers measured in a child that imports PyTorch only: cost, payoff (05)
    popularity, popularity_plots    sourced popularity figures, rankings, figures (06)
    popularity_sources              primary or secondary, survey editions read, counts, refresh procedure (06)
    scorecard, recommender          the verdicts 01-06 and 08 recorded, per 2019 scenario; priorities -> ranking (07)
    deployment, deployment_report   export paths reloaded in their runtimes, measured; tables, verdict (08)

The workshop kit (no notebook imports it)
    workshop     each notebook's frame, INSTRUCTORS.md's and WORKSHOP_PLAN.md's generated parts (`make guide`)
    schedule     the one-day and two-half-day plans of the core notebooks, and the rules they keep
    dry_run      minutes timed in a dry run, written into a notebook's metadata
    wheelhouse   which pins have a wheel on each platform (data/wheels.json); `make wheelhouse` per platform
    learner      learner copies without solutions (`make learner`)
    slides       slide metadata for jupyterlab-rise (`make slides`)
    exercise_examples  every exercise check called in a small valid context (its test)
    checkpoints  the checkpoint inside each lesson: a prediction checked against a small experiment (00-07)
"""
