"""Running an engagement: the notebooks, the plan batch, the run folders and the CLI.

:mod:`.runner` executes the step notebooks and renders their reports, :mod:`.plans`
drafts every account plan in a pool of kernels and browsers, :mod:`.runs` keeps one run
of an engagement at a time and tidies what a killed run left, :mod:`.cli` is ``kam``.
The top layer: it may use every other one, and none uses it.
"""
