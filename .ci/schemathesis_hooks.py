"""What schemathesis lacks for the OpenAPI document's media types, loaded by .ci/schemathesis
(SCHEMATHESIS_HOOKS): NDJSON bodies (POST /v1/import/rules) are described as text, and sent as
text/plain ones are."""

import schemathesis

schemathesis.serializer.alias("application/x-ndjson", "text/plain")
