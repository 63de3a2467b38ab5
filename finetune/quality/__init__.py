"""Quality: verification of each example, the overlap guard against the suites, dataset checks."""
