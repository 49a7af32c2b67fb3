"""Share: stored datasets, links and view state."""
