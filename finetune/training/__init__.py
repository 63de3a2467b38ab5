"""Training: the local LoRA trainer, its config and card, and OpenAI fine-tuning jobs."""
