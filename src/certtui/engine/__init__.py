"""The certification engine: pure asyncio over the store and the Bedrock client (no Textual)."""
