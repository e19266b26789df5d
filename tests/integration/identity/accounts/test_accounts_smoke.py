from tests.integration.identity.accounts.accounts_harness import Accounts


async def test_register_then_the_other_service_accepts_the_token(accounts: Accounts) -> None:
    registered = await accounts.register()
    assert registered.access_token
    assert await accounts.other_service_accepts(registered.access_token)
