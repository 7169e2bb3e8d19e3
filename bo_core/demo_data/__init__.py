"""Word lists and chain rules for the demo data set (see ``bo_core.demo``)."""
