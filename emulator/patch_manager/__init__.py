"""Patch Manager: patch baselines (the account's and AWS's predefined ones), defaults per operating system, patch
groups, and patching for real: AWS-RunPatchBaseline scans and installs on Debian-family managed instances through
apt and on RPM ones (Amazon Linux, RHEL, Rocky...) through dnf, and records each instance's patch state and its
Patch compliance.

handlers.py holds the operations; catalog.py finds baselines; baseline.py holds a baseline's rules and its
decision on a patch; predefined.py AWS's baselines and patch properties; run.py the patch operation;
overrides.py the files it reads from the S3 stand-in (BaselineOverride, InstallOverrideList); packages.py what a
package manager reports; apt.py and dnf.py what runs on the machine; storage.py the tables; render.py the response
models.
"""
from emulator.patch_manager.handlers import PatchManager

__all__ = ["PatchManager"]
