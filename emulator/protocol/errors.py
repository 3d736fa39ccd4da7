"""Errors of the AWS JSON 1.1 protocol itself, which botocore's SSM model does not list.

Service errors of SSM (ParameterNotFound, ...) are generated in api_models.errors; these are
the ones AWS's front door answers before a request reaches the service.
"""
from __future__ import annotations

from api_models._runtime import SerializationException, ServiceError

__all__ = ["SerializationException", "ServiceError"]


class UnknownOperationException(ServiceError):
    code = "UnknownOperationException"


class NotImplementedYet(ServiceError):
    """An operation of botocore's SSM model this emulator does not answer yet."""

    code = "NotImplementedException"
    http_status = 400


class MissingAuthenticationTokenException(ServiceError):
    code = "MissingAuthenticationTokenException"
    http_status = 403


class IncompleteSignature(ServiceError):
    code = "IncompleteSignature"
    http_status = 403


class InvalidSignatureException(ServiceError):
    code = "InvalidSignatureException"
    http_status = 403


class UnrecognizedClientException(ServiceError):
    code = "UnrecognizedClientException"
    http_status = 403


class ExpiredTokenException(ServiceError):
    """Temporary credentials used after their expiration (AWS's front door answers this, not SSM)."""

    code = "ExpiredTokenException"
    http_status = 400


class InternalFailure(ServiceError):
    """A bug of ours: answered as a 500 with no detail; the traceback stays in the server log."""

    code = "InternalServerError"
    http_status = 500
