"""Safety routing: decide, before any matching, whether a message is a cry for help, a request for the hotline,
empty, in another language, or an ordinary question.

Missing an urgent message is the worst error awarebot can make, so urgent detection is built for recall: a message
is urgent when it speaks of the writer (or someone close to them) *in* a dangerous situation, whatever the topic
words. General questions about the same subject ("why do traffickers take passports?") speak of people in general
and are answered normally. The dev set measures both sides (tests/test_devset.py).
"""

from __future__ import annotations

import re
from enum import StrEnum

from bot.text import fold, normalize


class Route(StrEnum):
    URGENT = "urgent"
    REFERRAL = "referral"
    EMPTY = "empty"
    OTHER_LANGUAGE = "other-language"
    QUESTION = "question"


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts))


# Who the danger is happening to. "my <relation>" makes a third-person message personal.
_CLOSE = (
    r"\b(?:my|our) (?:little |big |best |older |younger |teenage |\d+ year old )?"
    r"(?:sister|sis|brother|bro|daughter|son|kid|kids|child|children|friend|girlfriend|gf|boyfriend|wife|husband|"
    r"partner|mum|mom|mother|dad|father|cousin|niece|nephew|aunt|uncle|neighbou?r|roommate|flatmate|housemate|"
    r"classmate|student|colleague|coworker|co worker|girl|family|fiance|fiancee|stepdaughter|stepson|grandchild)"
)
_ME = r"(?:me|us|myself|ourselves)"
_SUBJ_ME = r"(?:i|we)"
_OBJ = rf"(?:me|us|{_CLOSE})"
_POSS = r"(?:my|our|her|his)"
_AGENT = (
    r"(?:he|she|they|someone|somebody|this (?:man|guy|woman|person)|a (?:man|guy|woman)|the (?:man|guy|woman|boss|"
    r"owner|manager|agency|agent|family|people|men)|my (?:boss|employer|boyfriend|husband|partner|manager|landlord|"
    r"pimp|uncle|agent|sponsor|host|owner|ex)|his friends?|their boss|the police)"
)
_DOCS = r"(?:passports?|ids?|id cards?|identity cards?|documents?|papers|visas?|phones?|bank cards?|residence permits?|work permits?)"
_TAKE_PAST = r"(?:took|taken|has|have|had|is keeping|are keeping|keeps|kept|is holding|are holding|holds|held|stole|stolen|confiscated|hid|hidden|locked up|won t give back|will not give back|refuses? to give back)"
_MINOR_AGE = r"(?:[5-9]|1[0-7])"
_MINOR_WORDS = r"(?:five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen)"

# Urgent whatever the framing: short cries for help and unmistakable first-person danger.
_STRONG = _rx(
    r"^(?:please )*(?:help|help me|sos|save me|rescue me|mayday|emergency)(?: please| now| me)*$",
    r"\b(?:help|save|rescue|get) me\b(?! (?:understand|learn|write|find|pick|choose|decide|with (?:my |an? |the |this )?(?:\w+ )?(?:homework|essay|project|assignment|research|presentation|school|question|quiz|test|exam|math|maths|code|recipe)))",
    r"\bsos\b",
    r"\bplease help\b",
    r"\bi need (?:help|to get out|to escape|to leave|to run|a way out)\b(?! (?:with|understanding|writing|for (?:my |a )?(?:homework|essay|project|school|class|research)))",
    rf"\b{_SUBJ_ME} (?:am|are|was|were|have been|has been|think i am|think we are|might be|may be|feel like i am)? ?(?:being )?"
    r"(?:trafficked|sold|kidnapped|abducted|trapped|held captive|held hostage|kept prisoner|locked (?:in|up)|"
    r"pimped(?: out)?|sex trafficked|forced into|being forced|prostituted|exploited|enslaved|blackmailed|sextorted)\b",
    r"\bam i (?:being )?(?:trafficked|groomed|exploited|a victim)\b",
    rf"\b{_SUBJ_ME} (?:can not|could not|am not allowed to|are not allowed to|am unable to|are unable to|have no way to) "
    r"(?:leave|escape|go home|get out|get away|run away|go out|run|say no|stop|quit|call|contact|see my family|return home)\b",
    r"\b(?:i|we) (?:want|need|have) to (?:escape|run away|get out|get away|flee)\b",
    rf"\b(?:kidnapped|abducted|trafficked|sold|locked|trapped|beat|beats|beating|raped|rapes|hit|hits|hurt|hurts|hurting|"
    rf"choked|drugged|drugging|threatened|threatening|threatens|blackmailing|blackmails|following|watching|tracking|"
    rf"pimping|selling|sells|forcing|forces|forced) {_OBJ}\b",
    rf"\b(?:make|makes|making|made) {_OBJ} (?:do|have sex|sleep|sell|work|go with|meet|see men|service|dance|strip|pose|"
    rf"send|film|perform|pay|hand over|give (?:him|them|her) (?:my|the|all)|stay|take drugs|take pills|drink)\b",
    rf"\b(?:will not|won t|would not|does not|do not|did not|never) let {_OBJ} (?:leave|go|out|outside|call|talk|speak|see|contact|eat|sleep|rest|keep|have|use|quit|stop|return)\b",
    rf"\b(?:is|are) (?:not )?letting {_OBJ} (?:leave|go)\b",
    rf"\b{_AGENT} {_TAKE_PAST} {_POSS} {_DOCS}\b",
    rf"\b{_TAKE_PAST} {_POSS} {_DOCS} (?:away )?(?:and|so|now|because)\b",
    rf"\b(?:took|taken|confiscated|stole|stolen|hid|hidden|kept|keeping|holding) (?:away )?{_POSS} {_DOCS}\b",
    rf"\b(?:my|our) {_DOCS} (?:was|were|are|is|have been|has been|got) (?:taken|stolen|confiscated|kept|hidden|held)\b",
    rf"\bthreat\w* (?:to )?(?:\w+ )?(?:me|us|my|our|her|his|{_CLOSE})\b",
    rf"\b(?:kill|hurt|harm|deport|report|find|beat|punish|expose|post|share|leak|send) (?:me|us|my family|our family|my kids|my children|my parents|my mom|my mum|my son|my daughter)\b",
    rf"\b(?:going to|gonna|will|would|said he would|said they would|says he will|says they will) (?:kill|hurt|harm|sell|beat|deport|find|punish) (?:me|us|her|him|my|our)\b",
    rf"\b(?:owe|owes|debt)\b.*\b(?:work (?:it )?off|pay (?:it )?(?:back|off) by|sleep with|have sex|sex with|with my body|sell myself|men)\b",
    rf"\bi owe (?:him|them|her|the \w+|my \w+) (?:money|a lot|everything|\d+)",
    rf"\b{_AGENT} (?:says?|said|tells?|told) (?:me|us) (?:i|we) (?:owe|have to|must|can not|will be (?:arrested|deported))\b",
    rf"\b(?:scared|afraid|terrified|frightened) (?:of|for) (?:him|them|her|my life|our lives|my family|my safety|what he|what they)\b",
    rf"\b(?:is|are|was|were|has been|have been|keeps|kept) (?:being )?(?:following|watching|stalking|tracking|threatening|blackmailing|hurting|beating|selling|pimping|forcing|trafficking|exploiting|grooming|sextorting) (?:me|us|{_CLOSE})\b",
    rf"\b(?:he|she|they|someone) (?:has|have|got|is posting|will post|threatens to post|wants? more) (?:my|our|her) (?:nudes?|naked (?:pics|pictures|photos)|pics|pictures|photos|videos?|intimate)",
    r"\b(?:nudes?|naked (?:pics|pictures|photos)|explicit (?:pics|pictures|photos)) of me\b",
    r"\b(?:pay|paying|pays|paid|offered|offering|offers) me (?:money |cash )?(?:to|for) (?:meet|sex|sleep|see|come|go|send|have|do|take|spend|stay)",
    r"\bsell (?:me|myself|my body|us)\b",
    r"\b(?:i|we) (?:was|were|am|are|have been|got) (?:sold|bought|traded)\b",
    r"\b(?:they|he|she) (?:sold|bought|traded|trafficked) (?:me|us|her|him)\b",
    r"\b(?:locked|trapped|stuck|kept|held) (?:in|inside) (?:a|the|this|his|their) (?:room|house|flat|apartment|basement|hotel|brothel|building|car|van)\b",
    r"\bcome (?:and )?(?:get|save|rescue) me\b",
    r"\bget (?:me|us|her|him) out\b",
    r"\bi do not want to do this anymore\b.*\b(?:he|they|she)\b",
)

# A minor speaking about an adult contact or money: urgent even without danger words.
_MINOR_SELF = _rx(
    rf"\b(?:i am|am|i turned|i just turned) (?:only |just )?(?:{_MINOR_AGE}|{_MINOR_WORDS})\b(?! (?:percent|dollars|euros|pounds|minutes|hours|days|weeks|months|miles|km|kg|times))",
    rf"\b{_CLOSE} (?:is|who is) (?:only |just )?(?:{_MINOR_AGE}|{_MINOR_WORDS})\b",
    r"\b(?:i am) (?:a |in )?(?:minor|under ?age|underage|middle school|high school|year [5-9]|year 1[0-2]|grade [5-9]|grade 1[0-2])\b",
)
_MINOR_AGE_MENTION = _rx(rf"\b(?:{_MINOR_AGE}|{_MINOR_WORDS}) ?(?:years? old|yrs? old|yo|y o)\b")
_MINOR_CONTACT = re.compile(
    r"\b(?:man|men|guy|guys|adult|older|grown|stranger|someone online|online|internet|boyfriend|he|his|him|pay|paid|paying|"
    r"money|cash|gifts?|meet|meeting|hotel|pics|pictures|photos|nudes?|naked|video|webcam|cam|send|sex|sexual|date|"
    r"dating|move in|travel|modell?ing|sugar daddy|snapchat|instagram|tiktok|discord|dm|dms)\b"
)

# The writer, or someone close to them, is the subject.
_PERSONAL = re.compile(rf"\b(?:i|me|my|myself|mine|us)\b|{_CLOSE}")
# Situations, not topics: in a personal message, any of these is treated as danger now.
_DANGER_CUES = _rx(
    r"\b(?:not|never|no longer) (?:be |been |being )?allowed\b",
    r"\b(?:will not|would not|does not|do not|did not|never|not) let(?:ting)?\b",
    r"\b(?:can not|could not|unable to|no way to) (?:leave|escape|go|get out|get away|come home|run|stop|say no|quit|call|contact|refuse)\b",
    r"\b(?:keeps?|kept|took|takes|taking|taken|has|have|holds?|holding|controls?|controlling) (?:all |most )?(?:of )?(?:my|our|her|his) (?:money|wages|pay|salary|earnings|passport|id|documents|papers|phone|visa|cards?)\b",
    r"\b(?:owe|owes|owed|debt|pay (?:him|them|her|it) back|pay back|work it off|work off|earn it back|earn it|paid off)\b",
    r"\b(?:clients|customers|johns|punters|men for money|go with men|with men|sleep with|have sex with|sex for money|sell sex|selling sex|escorting|other things)\b",
    r"\b(?:watch(?:es|ing|ed)?|follow(?:s|ing|ed)?|track(?:s|ing|ed)?|looking for|stalk(?:s|ing|ed)?) (?:me|us|her|him|everything|my)\b",
    r"\b(?:get away|escap\w*|run away|got away|ran away|flee|fled|break free|get out of (?:here|there|this)|nowhere to (?:go|stay|live|sleep))\b",
    r"\b(?:i|we|she|he) (?:have|has|had|must|need) to (?:meet|see|sleep|go with|have sex|work for|entertain|service|dance|strip|pose|stay with|be with)\b",
    r"\bmeet (?:men|guys|clients|customers|strangers|older men)\b|\bagainst (?:my|her|his|our) will\b|\bheld\b",
    r"\b(?:will not|would not|wont|refuses? to|refused to|not) (?:give|hand|return|let me have)\b",
    r"\b(?:trapped|locked|stuck|imprisoned|captive|hostage|chained|confined)\b",
    r"\b(?:brought|brings|took|take|takes|taking|moves?|moved|moving|sent|sends|drive|drives|driving|drove) (?:me|us|her|him) (?:here|to|from|around|abroad|away|every|between)\b",
    r"\b(?:arrest|arrested|deport|deported|deportation|jail)\b",
    r"\b(?:belong to|owns? (?:me|her|him|us))\b",
    r"\b(?:post|posts|posting|posted|advertis\w*|selling) (?:me|her|him|us|my|pictures|photos|pics)\b|\bonline ads?\b",
    r"\bdo not (?:even )?know where (?:i|we|she|he) (?:am|are|is)\b",
    r"\b(?:scared|afraid|terrified|frightened|unsafe|not safe|in danger|crying|panicking)\b",
    r"\bhappening to (?:me|us|her|him)\b",
    r"\b(?:massage (?:place|parlou?r)|brothel|strip club|hotel room|motel)\b",
    r"\b(?:hit|hits|beat|beats|beaten|hurts?|hurting|hurt|rape|raped|abused?|abusing|violent|kill|threat\w*)\b",
    r"\b(?:forc(?:e|es|ed|ing)|made to|being made|coerc\w*|blackmail\w*|sextort\w*|pressur\w*)\b",
    r"\b(?:make|makes|making) (?:me|her|him|us)\b",
    r"\b(?:sold|sell (?:me|her|him|us)|bought|pimp\w*|trafficked|trafficking (?:me|her|him|us)|exploit\w* (?:me|her|him|us))\b",
    r"\b(?:come home|go home|let (?:me|her|him|us) go)\b",
    r"\b(?:groomed|grooming (?:me|her|him)|missing|disappeared|kidnapped|abducted|prostituted|exploited|lured|recruited)\b",
    r"\b(?:no papers|without papers|undocumented)\b",
)
# Framings that make a personal-sounding message a question about the subject (study, hypotheticals, this bot).
_GENERAL_FRAME = _rx(
    r"\b(?:project|essay|homework|assignment|research|presentation|thesis|coursework|dissertation|lesson|curriculum|"
    r"documentary|movie|film|novel|podcast|article|hypothetically|in general|generally|statistics?)\b",
    r"\bif (?:i|you|someone|somebody|a person|people|they|we) (?:tell|told|say|said|write|type|message|send|report|"
    r"suspect|think|see|saw|notice|know|knew|meet|met|find|found|were|was|ever)\b",
    r"\bif (?:my|a|your|someone s|a friend s) \w+ (?:is|are|was|were|has|gets|got|seems|might)\b",
    r"\b(?:this bot|the bot|awarebot|you (?:store|keep|save|log|record)|saved|stored|logged|privacy)\b",
    r"\bhow (?:do|can|would|should|could) (?:i|we) (?:recogni[sz]e|spot|identify|tell if|tell whether|know if|know whether|help|support|talk to|teach|explain|protect|prevent|educate|volunteer|donate|report|approach|reach out|speak to|check on|ask)\b",
    r"\b(?:teacher|professor|lecturer|tutor|class|book|article|documentary|video|news|course|report|study) (?:said|says|told|showed|shows|mentioned|taught|claims|claimed)\b",
    r"\b(?:i|we) (?:suspect|think|believe|worry|am worried|fear)\b.{0,30}\b(?:a|an|some|this|that) (?:person|someone|friend|colleague|neighbou?r|woman|girl|man|boy|child|student|worker|family)\b",
    r"\bwhat (?:should|can|could|would) (?:you|a|an|someone|people|parents|teachers|teens?|kids) ",
    r"\b(?:why|how) (?:do|does|would|can|could|are|is) (?:traffickers?|pimps?|groomers?|victims?|survivors?|people|someone|they|abusers?|predators?|criminals?|gangs?)\b",
    r"\basked (?:me )?(?:if|whether|about|why|how|what)\b",
    r"\b(?:i|we) (?:have )?(?:read|heard|learned|learnt|seen|watched|saw) (?:about|that|a |an |the |in |on )",
    r"\bif (?:guys|men|boys|girls|women|people|kids|children|teens|anyone|someone) (?:can|could|get|are|is)\b",
    # Someone reporting what they witnessed: the referral card is the right reply, not the emergency one.
    r"\b(?:who|where|how) (?:do|should|can|could|would) (?:i|we) (?:report|tell|alert|notify|inform|call|contact)\b",
    r"\b(?:want|need|like) to report\b",
)
# Cries for help in other languages (folded: lower-case, accents stripped), so they are never missed as "foreign".
_OTHER_LANGUAGE_URGENT = _rx(
    r"\b(?:ayuda(?:me)?|auxilio|socorro|me tienen encerrad[ao]|no me dejan (?:salir|ir)|me quitaron (?:el|mi) pasaporte|tengo miedo|me obligan)\b",
    r"\b(?:aidez moi|au secours|a l aide|on m a pris mon passeport|je ne peux pas partir|on me force|j ai peur|je suis enferme)\b",
    r"\b(?:me ajud(?:e|a|em)|socorro|nao me deixam sair|estou presa|estou preso|me obrigam|tenho medo|pegaram (?:os )?(?:meus|meu) (?:documentos|passaporte))\b",
    r"\b(?:hilfe|ich kann nicht weg|sie haben meinen pass|ich habe angst)\b",
    r"\b(?:ajutor|ajutati ma|pomocy|ratunku|aiuto|tolong|tulong|tulungan|cuu toi|giup toi|cuu voi)\b",
    r"(?:помогите|помоги|спасите|меня держат|забрали паспорт|допоможіть|рятуйте|救命|救救我|帮帮我|ساعدني|النجدة|بچاؤ|बचाओ|मदद करो|ช่วยด้วย)",
)
_SOS_EMOJI = re.compile("[\U0001f198\U0001f6a8]")  # 🆘 🚨

_REFERRAL = _rx(
    r"\b(?:hot ?line|help ?line|tip ?line|text ?line|crisis line|support line)s?\b",
    r"\b(?:phone|telephone|contact|emergency|police|helpline|hotline) (?:number|numbers|details|line|info)\b",
    r"\bnumbers? (?:to|for|i can|we can|should i|do i|you can) (?:call|ring|text|dial|report|contact)\b",
    r"\bnumbers? for (?:the )?(?:police|help|reporting|victims|survivors|trafficking)\b",
    r"\bwho (?:do|should|can|would|could) (?:i|we|you|one|someone|people) (?:call|contact|report|ring|text|tell|talk to|reach)\b",
    r"\bwho (?:to|can) (?:call|contact|report to|ring|text)\b",
    r"\bwhere (?:do|should|can|could) (?:i|we|you|one|someone|people) (?:report|call|get help|find help|go for help|turn)\b",
    r"\bwhere to (?:report|call|get help|turn)\b",
    r"\b(?:report|reporting|tell|call|ring|contact|reach|alert|inform|notify|touch|tip off|tip)\b.{0,40}\bpolice\b",
    r"\bpolice\b.{0,30}\b(?:report|call|contact|reach|number)\b",
    r"\bhow (?:do|can|could|should) (?:i|we|you|one) (?:contact|call|reach|ring|text) (?:a |an |the )?(?:hotline|helpline|police|authorities|someone|anyone|help|support|charity|organi[sz]ation|ngo)\b",
    r"\b(?:contact|call|reach|ring|text) (?:the )?(?:authorities|hotline|helpline|emergency services)\b",
    r"\bemergency (?:services|line)\b",
    r"\b(?:give|send|need|want|get) (?:me )?(?:a |the )?(?:number|phone number|contact)\b",
    r"\b(?:anti ?trafficking|trafficking) (?:organi[sz]ations?|charit(?:y|ies)|ngos?|groups?|services?) (?:near|in|to contact|i can contact)\b",
    r"\bis there (?:a|any|an) (?:number|line|place|service|organi[sz]ation|charity) (?:to|i can|for|that)\b",
    r"\bis there (?:someone|somebody|anyone|anybody|a person) (?:i|we|you) can (?:call|talk to|contact|text|ring|speak to)\b",
    r"\b(?:online )?form to report\b|\breport(?:ing)? (?:form|online|website|site|portal)\b",
    r"\b24 ?(?:hour|hr|7|h)\b.{0,25}\bline\b",
    r"\bwho (?:handles|takes|receives|deals with|investigates|do you report|to report)\b",
    r"\b(?:which|what) (?:agency|authority|department|office|number|line|unit|organi[sz]ation) (?:should|do|can|to|handles|deals)\b",
    r"\bcontact (?:for|details|info|information)\b",
    r"\b(?:report|reporting|tell|call|ring|contact|reach|alert|inform|notify|touch|tip off|tip)\b.{0,40}\b(?:cops|law enforcement|authorities|agency|anti ?trafficking unit)\b",
    r"\bwho (?:do|should|can|would|could) (?:i|we|you|one) (?:alert|notify|inform|go to|turn to|speak to|tell)\b",
    r"\bget in touch with\b",
)

_ENGLISH_HINTS = frozenset(
    """the a an is are was what how why who where when do does can could should i you he she they it to of in on
    and or my your his her their with for from this that about me not be have has traffick trafficking trafficked
    sex help police""".split()
)
_FOREIGN_HINTS = frozenset(
    """que es la el los las de del por para una uno como donde esta estoy tengo mi mis yo se le lo qué cómo
    est les des une je suis avec pour pas mais qui quoi c ce cette sont dans vous nous
    der die das und ist nicht ich du wie was wer wo mit ein eine sind
    não nao uma com voce você eu meu minha são sao como onde
    che non sono della di il per come dove
    jest nie jak co czy się sie
    și si este nu ce cum unde""".split()
)


def is_urgent(text: str, norm: str | None = None) -> bool:
    """True for a personal disclosure or immediate danger (recall first). `norm` is normalize(text), if known."""
    if _SOS_EMOJI.search(text):
        return True
    folded = fold(text)
    if _OTHER_LANGUAGE_URGENT.search(folded):
        return True
    if norm is None:
        norm = normalize(text)
    if not norm:
        return False
    if _STRONG.search(norm):
        return True
    personal = bool(_PERSONAL.search(norm))
    minor = bool(_MINOR_SELF.search(norm)) or (personal and bool(_MINOR_AGE_MENTION.search(norm)))
    if minor and _MINOR_CONTACT.search(norm):
        return True
    return personal and bool(_DANGER_CUES.search(norm)) and not _GENERAL_FRAME.search(norm)


def is_referral_request(norm: str) -> bool:
    return bool(_REFERRAL.search(norm))


def is_other_language(norm: str) -> bool:
    """Mostly non-Latin letters, or Latin-script words of another language outnumbering English ones."""
    letters = [ch for ch in norm if ch.isalpha()]
    if not letters:
        return False
    latin = sum(1 for ch in letters if "a" <= ch <= "z")
    if latin / len(letters) < 0.5:
        return True
    words = norm.split()
    foreign = sum(1 for w in words if w in _FOREIGN_HINTS)
    english = sum(1 for w in words if w in _ENGLISH_HINTS)
    return foreign >= 2 and foreign > english


def route(text: str, norm: str | None = None) -> Route:
    """Where a message goes before matching. Urgent is checked first, on the raw text, in every language.
    `norm` is normalize(text) when the caller already has it (the engine normalises once per message)."""
    if norm is None:
        norm = normalize(text)
    if is_urgent(text, norm):
        return Route.URGENT
    if not any(ch.isalnum() for ch in norm):
        return Route.EMPTY
    if is_other_language(norm):
        return Route.OTHER_LANGUAGE
    if is_referral_request(norm):
        return Route.REFERRAL
    return Route.QUESTION
