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


# AWS's JSON services answer every credential error with HTTP 400, not the 403 of the generic "Common Errors"
# pages (seen from SSM: "Service: AWSSimpleSystemsManagement; Status Code: 400; Error Code:
# UnrecognizedClientException", coveooss/spring-boot-parameter-store-integration#3; from DynamoDB, EMR, Cloud9 the same
# for the others), and spell the incomplete-signature code with the Exception suffix the query protocol leaves off.


class MissingAuthenticationTokenException(ServiceError):
    code = "MissingAuthenticationTokenException"
    http_status = 400


class IncompleteSignatureException(ServiceError):
    code = "IncompleteSignatureException"
    http_status = 400


class InvalidSignatureException(ServiceError):
    code = "InvalidSignatureException"
    http_status = 400


class UnrecognizedClientException(ServiceError):
    code = "UnrecognizedClientException"
    http_status = 400


class ExpiredTokenException(ServiceError):
    """Temporary credentials used after their expiration (AWS's front door answers this, not SSM)."""

    code = "ExpiredTokenException"
    http_status = 400


class InternalFailure(ServiceError):
    """A bug of ours: answered as a 500 with no detail; the traceback stays in the server log."""

    code = "InternalServerError"
    http_status = 500
