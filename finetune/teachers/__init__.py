"""Teachers: what to say (templates, a model as teacher, multi-turn contexts, rejects) and how often."""
