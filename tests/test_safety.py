"""Safety routing: disclosures and danger go to the emergency route; the same subject asked generally does not."""

import pytest

from bot.safety import Route, route

URGENT = [
    "he took my passport and I can't leave",
    "i'm 15 and a man online wants to meet me and pay me",
    "help",
    "SOS",
    "🆘",
    "please help me they wont let me go",
    "my sister is being forced to sleep with men for money",
    "i think i am being trafficked",
    "they said they will hurt my family if i run",
    "i owe them money and they say i have to work it off with clients",
    "someone is blackmailing me with photos",
    "i escaped but have nowhere to go",
    "ayuda me tienen encerrada",
    "aidez moi",
    "помогите",
]
GENERAL = [
    "why do traffickers take passports?",
    "what is sex trafficking",
    "how do groomers contact teenagers online",
    "can a boyfriend be a trafficker",
    "why don't victims just leave",
    "what does debt bondage mean",
    "i need help with my homework on trafficking",
    "what should i do if i think my friend is being trafficked",
    "I am 16, what is grooming?",
    "if i tell this bot im in danger is that saved anywhere",
]


@pytest.mark.parametrize("text", URGENT)
def test_disclosures_are_urgent(text: str) -> None:
    assert route(text) is Route.URGENT


@pytest.mark.parametrize("text", GENERAL)
def test_general_questions_are_not_urgent(text: str) -> None:
    assert route(text) is Route.QUESTION


@pytest.mark.parametrize(
    "text",
    [
        "whats the hotline number",
        "who do i call to report trafficking",
        "how do i report this to the police",
        "is there a helpline",
        "give me a number to call",
    ],
)
def test_hotline_requests_are_referrals(text: str) -> None:
    assert route(text) is Route.REFERRAL


def test_empty_and_emoji_only() -> None:
    assert route("") is Route.EMPTY
    assert route("   ") is Route.EMPTY
    assert route("😀😀😀") is Route.EMPTY
    assert route("?!...") is Route.EMPTY


def test_other_languages() -> None:
    assert route("qué es la trata de personas") is Route.OTHER_LANGUAGE
    assert route("что такое торговля людьми") is Route.OTHER_LANGUAGE
    assert route("qu'est-ce que la traite des êtres humains") is Route.OTHER_LANGUAGE


def test_urgent_wins_over_referral() -> None:
    # Danger and a request for a number at once: the emergency route comes first.
    assert route("he is beating me who do i call") is Route.URGENT


def test_very_long_text_does_not_break_routing() -> None:
    assert route("what is trafficking " * 2000) is Route.QUESTION
    assert route("blah " * 5000 + " he took my passport and i can not leave") is Route.URGENT


@pytest.mark.parametrize("name", ["safety_stress.yaml", "safety_stress_2.yaml"])
def test_safety_stress_sets(name: str) -> None:
    """Disclosures and look-alike general questions written without seeing this code (tests/data): 160 + 120 and
    150 + 150 lines, by two different authors, in many voices and 30 languages between them."""
    from pathlib import Path

    import yaml

    data = yaml.safe_load((Path(__file__).parent / "data" / name).read_text(encoding="utf-8"))
    missed = [t for t in data["urgent"] if route(t) is not Route.URGENT]
    false_alarms = [t for t in data["general"] if route(t) is Route.URGENT]
    assert missed == []
    assert len(false_alarms) / len(data["general"]) <= 0.05, false_alarms


def test_knowledge_phrasings_reach_their_entries() -> None:
    """No curated phrasing is diverted to the urgent or referral route before matching."""
    from bot.config import bundled_knowledge_dir
    from bot.knowledge import load_knowledge

    knowledge = load_knowledge(bundled_knowledge_dir())
    diverted = [(e.id, q) for e in knowledge.entries.values() for q in e.questions if route(q) is not Route.QUESTION]
    assert diverted == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("whats the prison sentence for drug trafficking in the uk", Route.OTHER_TRAFFICKING),
        ("is smuggling snacks into the cinema illegal", Route.OTHER_TRAFFICKING),
        ("is drug trafficking linked to sex trafficking", Route.QUESTION),
        ("do drug traffickers also traffic women", Route.QUESTION),
    ],
)
def test_trafficking_of_goods_is_another_subject(text: str, expected: Route) -> None:
    assert route(text) is expected


def test_the_child_helpline_is_for_minors_only() -> None:
    from bot.safety import mentions_minor

    assert mentions_minor("im 14 and a guy online wants to meet me")
    assert mentions_minor("my daughter is 13 and a man keeps messaging her")
    assert not mentions_minor("he took my passport and i owe him 3000")
