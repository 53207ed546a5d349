"""Reads the helpers' constants, and binds a name of its own: nothing rebinds them."""
from helpers import RETRIES, SHELL

RETRIES = RETRIES + 1
ARGV = SHELL + ("true",)
