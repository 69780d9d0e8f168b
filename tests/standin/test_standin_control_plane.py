"""ListFoundationModels and ListInferenceProfiles through the real aioboto3 client."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from certtui.standin import StandinServer


async def test_list_foundation_models_describes_each_model(client, standin: StandinServer) -> None:
    async with client("bedrock", "us-east-1") as bedrock:
        response = await bedrock.list_foundation_models()
    summaries = {s["modelId"]: s for s in response["modelSummaries"]}
    chat = summaries["test.chat-v1"]
    assert chat == {
        "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/test.chat-v1",
        "modelId": "test.chat-v1",
        "modelName": "Test Chat",
        "providerName": "Acme",
        "inputModalities": ["TEXT", "IMAGE"],
        "outputModalities": ["TEXT"],
        "responseStreamingSupported": True,
        "customizationsSupported": [],
        "inferenceTypesSupported": ["ON_DEMAND", "INFERENCE_PROFILE"],
        "modelLifecycle": {"status": "ACTIVE"},
    }
    assert summaries["test.profile-only-v1"]["inferenceTypesSupported"] == ["INFERENCE_PROFILE"]
    assert summaries["test.provisioned-v1"]["inferenceTypesSupported"] == ["PROVISIONED"]
    assert summaries["test.legacy-v1"]["modelLifecycle"] == {"status": "LEGACY"}
    assert summaries["test.embed-v1"]["outputModalities"] == ["EMBEDDING"]
    assert standin.stats.calls == {"ListFoundationModels": 1}


async def test_listing_differs_per_region(client) -> None:
    async with client("bedrock", "us-east-1") as east, client("bedrock", "eu-west-1") as west:
        in_east = {s["modelId"] for s in (await east.list_foundation_models())["modelSummaries"]}
        in_eu = {s["modelId"] for s in (await west.list_foundation_models())["modelSummaries"]}
    assert "test.text-only-v1" in in_east
    assert "test.text-only-v1" not in in_eu
    assert "test.chat-v1" in in_eu


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            {"byProvider": "globex"},
            {"test.profile-only-v1", "test.provisioned-v1", "test.regional-v1"},
        ),
        ({"byOutputModality": "EMBEDDING"}, {"test.embed-v1"}),
        ({"byInferenceType": "PROVISIONED"}, {"test.provisioned-v1"}),
    ],
)
async def test_list_foundation_models_filters(client, filters: dict, expected: set) -> None:
    async with client("bedrock", "us-east-1") as bedrock:
        response = await bedrock.list_foundation_models(**filters)
    assert {s["modelId"] for s in response["modelSummaries"]} == expected


async def test_inference_profiles_are_paginated(client) -> None:
    async with client("bedrock", "us-east-1") as bedrock:
        first = await bedrock.list_inference_profiles(maxResults=1)
        assert len(first["inferenceProfileSummaries"]) == 1
        assert "nextToken" in first
        paginator = bedrock.get_paginator("list_inference_profiles")
        pages = [page async for page in paginator.paginate(PaginationConfig={"PageSize": 1})]
    profiles = {
        summary["inferenceProfileId"]: summary
        for page in pages
        for summary in page["inferenceProfileSummaries"]
    }
    assert len(pages) == len(profiles) == 2
    us_chat = profiles["us.test.chat-v1"]
    assert us_chat["status"] == "ACTIVE"
    assert us_chat["type"] == "SYSTEM_DEFINED"
    assert us_chat["inferenceProfileArn"] == (
        "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.test.chat-v1"
    )
    assert [m["modelArn"] for m in us_chat["models"]] == [
        "arn:aws:bedrock:us-east-1::foundation-model/test.chat-v1",
        "arn:aws:bedrock:us-west-2::foundation-model/test.chat-v1",
    ]
    assert "us.test.profile-only-v1" in profiles


async def test_inference_profiles_follow_the_region_geography(client) -> None:
    async with client("bedrock", "eu-west-1") as eu, client("bedrock", "sa-east-1") as sa:
        in_eu = (await eu.list_inference_profiles())["inferenceProfileSummaries"]
        in_sa = (await sa.list_inference_profiles())["inferenceProfileSummaries"]
    assert [p["inferenceProfileId"] for p in in_eu] == ["eu.test.chat-v1"]
    assert in_sa == []


async def test_a_bad_pagination_token_is_a_validation_error(client) -> None:
    async with client("bedrock", "us-east-1") as bedrock:
        with pytest.raises(ClientError) as caught:
            await bedrock.list_inference_profiles(nextToken="not-a-token")
    assert caught.value.response["Error"]["Code"] == "ValidationException"


async def test_a_region_without_bedrock_is_unreachable(client, standin: StandinServer) -> None:
    async with client("bedrock", "af-south-1") as bedrock:
        with pytest.raises(EndpointConnectionError):
            await bedrock.list_foundation_models()
    assert standin.stats.errors["ConnectionReset"] >= 1


async def test_an_opt_in_region_not_enabled_rejects_the_credentials(client) -> None:
    async with client("bedrock", "eu-central-2") as bedrock:
        with pytest.raises(ClientError) as caught:
            await bedrock.list_foundation_models()
    error = caught.value.response
    assert error["Error"]["Code"] == "UnrecognizedClientException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403


async def test_an_expired_access_key_is_reported(client) -> None:
    async with client(
        "bedrock",
        "us-east-1",
        aws_access_key_id="AKIDEXPIRED0001",
        aws_secret_access_key="secret",
    ) as bedrock:
        with pytest.raises(ClientError) as caught:
            await bedrock.list_foundation_models()
    assert caught.value.response["Error"]["Code"] == "ExpiredTokenException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


async def test_an_unsigned_request_is_refused(standin: StandinServer) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.get(f"{standin.url}/foundation-models") as response:
            assert response.status == 403
            assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
            assert "x-amzn-RequestId" in response.headers
        async with session.get(
            f"{standin.url}/foundation-models",
            headers={"Authorization": "AWS4-HMAC-SHA256 Signature=abc"},
        ) as response:
            # IncompleteSignature is HTTP 400, as the Bedrock troubleshooting page says.
            assert response.status == 400
            assert response.headers["x-amzn-ErrorType"] == "IncompleteSignature"
            assert "credential scope" in (await response.json())["message"]


async def test_an_unknown_path_is_an_unknown_operation(standin: StandinServer) -> None:
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{standin.url}/guardrails") as response,
    ):
        assert response.status == 404
        assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"
