"""Season parameters from plain language: the result models and the deterministic rules (pure).
The OpenAI path is an adapter (adapters.openai_extraction); choosing between them is the use
case app.parameters."""
