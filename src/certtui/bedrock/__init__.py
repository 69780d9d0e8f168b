"""Client side of AWS Bedrock: clients, discovery, Converse / ConverseStream, error classification.

Import from the submodules; this package imports nothing so that the pure parts (`invoke`,
`results`) stay cheap to load and free of botocore.
"""
