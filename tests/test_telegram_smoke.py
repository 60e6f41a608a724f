from fakebotapi import FakeBotAPI


async def test_start(tg, fake_api: FakeBotAPI):
    call = await tg.say(42, "/start")
    assert "awarebot" in call.text
