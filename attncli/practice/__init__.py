"""Practice and grading: generated exercises, worksheets, an answer key, a grader and a quiz (no Rich, no Typer)."""
