"""certtui: certify AWS Bedrock models across regions, from the terminal."""

__version__ = "0.1.0"
