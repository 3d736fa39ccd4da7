"""ssm-emulator: a local, offline, AWS-compatible emulator of AWS Systems Manager."""
__version__ = "0.1.0"
