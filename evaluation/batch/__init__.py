"""Evaluation past one machine: Batch API request files out, Batch output files in.

`python -m evaluation batch export` writes the requests a live run would send (`requests`),
`python -m copilot batch`, OpenAI Batch (`submit`) or vLLM's `run_batch` answers them, and
`python -m evaluation batch import` scores the answers with the live run's scorer (`importer`).
"""
