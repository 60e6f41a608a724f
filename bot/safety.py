"""The high-precision rule net beside the learned safety model (bot/models.py), plus small text facts the replies
need (a minor is mentioned, goods rather than people, another language).

Urgent is decided in bot/engine.py: a strong rule fires OR the safety model's calibrated p(urgent) reaches the
recall-first threshold; rules never veto the model, and nothing vetoes a strong rule. The rules kept here are the
ones that, measured on the training examples (knowledge/examples, commit of issue 8), fired at least 3 times with
precision 1.0: 31 English patterns of unmistakable first-person danger, a minor with adult contact or money, cries
for help and first-person danger in other languages (tests/test_safety.py keeps their precision at 1.0 on every
training line). Danger words of other languages ("pasaporte", "deuda", "паспорт") are rules only for messages in a
language the safety model has no training examples for: in the eight languages it learned they had precision
0.3-0.6 on the training lines (they are the vocabulary of questions too), and leaving them to the model raised
answers top-1 on the dev sets of those languages by 3-10 points with urgent recall unchanged (100 %).
Measured again on 2026-12-01, the English rules fire on 341 urgent and 21 non-urgent training lines
(precision 0.94: survivors telling past events, "years ago… I'm safe now"), which is part of the English near-miss
false alarms; narrowing them, measured with `python -m bench.loso`, is the next step.
Everything else the old router held was dropped; a new failure is fixed with training data or a better model,
never with a pattern for that sentence.
"""

from __future__ import annotations

import re
from enum import StrEnum

from bot.text import fold, normalize


class Route(StrEnum):
    """Why a message was sent to the urgent reply (for logs and tests)."""

    RULE = "rule"
    MODEL = "model"


def _rx(*parts: str, english: bool = True) -> re.Pattern[str]:
    """One pattern from alternatives. English patterns run on normalised text (accents stripped), where ASCII
    word boundaries are exact and about a third cheaper; other languages keep Unicode semantics."""
    return re.compile("|".join(f"(?:{p})" for p in parts), re.ASCII if english else 0)


# Who the danger is happening to. "my <relation>" makes a third-person message personal.
_CLOSE = (
    r"\b(?:my|our) (?:little |big |best |older |younger |teenage |\d+ year old )?"
    r"(?:sister|sis|brother|bro|daughter|son|kid|kids|child|children|friend|girlfriend|gf|boyfriend|wife|husband|"
    r"partner|mum|mom|mother|dad|father|cousin|niece|nephew|aunt|uncle|neighbou?r|roommate|flatmate|housemate|"
    r"classmate|student|colleague|coworker|co worker|girl|family|fiance|fiancee|stepdaughter|stepson|grandchild)"
)
_SUBJ_ME = r"(?:i|we)"
_OBJ = rf"(?:me|us|{_CLOSE})"
_AGENT = (
    r"(?:he|she|they|someone|somebody|this (?:man|guy|woman|person)|a (?:man|guy|woman)|the (?:man|guy|woman|boss|"
    r"owner|manager|agency|agent|family|people|men)|my (?:boss|employer|boyfriend|husband|partner|manager|landlord|"
    r"pimp|uncle|agent|sponsor|host|owner|ex)|his friends?|their boss|the police)"
)
_DOCS = r"(?:passports?|ids?|id cards?|identity cards?|documents?|papers|visas?|phones?|bank cards?|residence permits?|work permits?|seaman books?|seamans books?|seaman s books?|discharge books?)"
_TAKE_PAST = r"(?:took|taken|has|have|had|is keeping|are keeping|keep|keeps|kept|is holding|are holding|holds|held|stole|stolen|confiscated|hid|hidden|locked up|won t give back|will not give back|refuses? to give back)"
_MINOR_AGE = r"(?:[5-9]|1[0-7])"
_MINOR_WORDS = r"(?:five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen)"

# Urgent whatever the framing: short cries for help and unmistakable first-person danger.
_STRONG = _rx(
    r"^(?:please )*(?:help|help me|sos|save me|rescue me|mayday|emergency)(?: please| now| me)*$",
    r"\b(?:help|save|rescue|get) me\b(?! (?:understand|learn|write|find|pick|choose|decide|plan|book|cook|make|fix|study|revise|prepare|organi[sz]e|translate|summari[sz]e|calculate|solve|pass|think|remember|name|get started|with (?:my |an? |the |this )?(?:\w+ )?(?:homework|essay|project|assignment|research|presentation|school|question|quiz|test|exam|math|maths|code|recipe)))",
    r"\bsos\b",
    r"\bi need (?:help|to get out|to escape|to leave|to run|a way out)\b(?! (?:with|understanding|writing|for (?:my |a )?(?:homework|essay|project|school|class|research)))",
    rf"\b{_SUBJ_ME} (?:can not|could not|am not allowed to|are not allowed to|am unable to|are unable to|have no way to) "
    r"(?:leave|escape|go home|get out|get away|run away|go out|run|say no|stop|quit|call|contact|see my family|return home)\b",
    r"\b(?:i|we) (?:want|need|have) to (?:escape|run away|get out|get away|flee)\b",
    r"\b(?:kidnapped|abducted|trafficked|sold|locked|trapped|beat|beats|beating|raped|rapes|hit|hits|hurt|hurts|hurting|"
    r"choked|drugged|drugging|threatened|threatening|threatens|blackmailing|blackmails|following|watching|tracking|"
    rf"pimping|selling|sells|forcing|forces|forced) {_OBJ}\b",
    rf"\b(?:make|makes|making|made) {_OBJ} (?:do|have sex|sleep|sell|work|go with|meet|see men|service|dance|strip|pose|"
    r"send|film|perform|pay|hand over|give (?:him|them|her) (?:my|the|all)|stay|take drugs|take pills|drink)\b",
    rf"\b(?:will not|won t|would not|does not|do not|did not|never) let {_OBJ} (?:leave|go|out|outside|call|talk|speak|see|contact|eat|sleep|rest|keep|have|use|quit|stop|return)\b",
    r"\bnot (?:\w+ )?(?:\w+ )?let (?:me|us) (?:leave|go|out|outside|quit|return|escape|call|go home)\b",
    rf"\b{_TAKE_PAST} (?:my|our) {_DOCS} (?:away )?(?:and|so|now|because)\b",
    rf"\bthreat\w* (?:to )?(?:\w+ )?(?:me|us|my|our|her|his|{_CLOSE})\b",
    r"\b(?:kill|hurt|harm|deport|report|find|beat|punish|expose|post|share|leak|send) (?:me|us|my family|our family|my kids|my children|my parents|my mom|my mum|my son|my daughter)\b",
    r"\b(?:going to|gonna|will|would|said he would|said they would|says he will|says they will) (?:kill|hurt|harm|sell|beat|deport|find|punish) (?:me|us|her|him|my|our)\b",
    r"\b(?:owe|owes|debt)\b.*\b(?:work (?:it )?off|pay (?:it )?(?:back|off) by|sleep with|have sex|sex with|with my body|sell myself|men)\b",
    r"\bi owe (?:him|them|her|the \w+|my \w+) (?:money|a lot|everything|\d+)",
    rf"\b(?:is|are|was|were|has been|have been|keeps|kept) (?:being )?(?:following|watching|stalking|tracking|threatening|blackmailing|hurting|beating|selling|pimping|forcing|trafficking|exploiting|grooming|sextorting) (?:me|us|{_CLOSE})\b",
    r"\b(?:they|he|she) (?:sold|bought|traded|trafficked) (?:me|us|her|him)\b",
    r"\b(?:me|us|i am|we are|i was|we were|i have been|we have been)(?: \w+){0,2} (?:locked|trapped|stuck|kept|held) (?:in|inside) (?:a|the|this|his|their) (?:room|house|flat|apartment|basement|hotel|brothel|building|car|van)\b",
    r"\bcome (?:and )?(?:get|save|rescue) me\b",
    r"^(?:he|she|they|him|them) (?:is |are )?(?:outside|here|coming|back|at the door|downstairs|found me)\b",
    r"^(?:can not|could not) (?:call|leave|go|talk|speak|get out|escape|breathe|move|run)\b",
    r"\b(?:he|she|they) (?:reads?|checks?|goes through|go through|looks? at|monitors?|tracks?) (?:my |our |the )?(?:phone|messages|texts|notifications|chats)\b",
    r"\bi (?:have|got|ve got) (?:maybe |only |about |like )?\d+ (?:min|mins|minutes|seconds|secs)\b|\b(?:please|pls) (?:hurry|be quick)\b",
    r"\b(?:room|rm) \d+\b.{0,40}\b(?:motel|hotel|inn|lodge|guesthouse)\b|\b(?:motel|hotel|inn|lodge|guesthouse)\b.{0,20}\b(?:room|rm) \d+\b",
    r"\bif i (?:run|escape|leave|get out)\b|\b(?:run|escape|leave|get out|try) tonight\b",
    r"^(?:i am |im |i m )?(?:not safe|unsafe)\b|\b(?:i am|we are) being (?:watched|followed|tracked|monitored|held|kept)\b",
    r"\bno (?:phone|passport|id|money|papers)\b.{0,25}\bno (?:phone|passport|id|money|papers)\b",
    r"\b(?:giving|gave|give|gives|forcing|forced|made) (?:me|us) (?:pills|drugs|something|somthin|somethin|stuff|injections?)\b",
    r"\b(?:we are|i am) (?:being )?(?:held|kept|trapped|stuck|locked)\b",
    r"\b(?:they|he|she) (?:are|is|re|s) at (?:my|the|our) door\b|\bcomes? into (?:my|our) room\b",
)

# A minor speaking about an adult contact or money: urgent even without danger words.
_MINOR_SELF = _rx(
    rf"\b(?:i am|am|we are|are|i turned|just turned|turned) (?:only |just )?(?:{_MINOR_AGE}|{_MINOR_WORDS})\b(?! (?:percent|dollars|euros|pounds|minutes|hours|days|weeks|months|miles|km|kg|times|min|mins))",
    rf"\b{_CLOSE} (?:is |who is |aged |age )?(?:only |just )?(?:{_MINOR_AGE}|{_MINOR_WORDS})\b",
    r"\b(?:i am) (?:a |in )?(?:minor|under ?age|underage|middle school|high school|year [5-9]|year 1[0-2]|grade [5-9]|grade 1[0-2])\b",
    r"\b(?:[5-9]|1[0-2])(?:st|nd|rd|th) grade\b|\bgrade (?:[5-9]|1[0-2])\b|\byear (?:[5-9]|1[0-2])\b",
    rf"\b(?:she|he) is (?:only |just )?(?:{_MINOR_AGE}|{_MINOR_WORDS})\b",
    r"^(?:[5-9]|1[0-7]) ?[fm]\b|\b(?:[5-9]|1[0-7])[fm]\b",
    r"^(?:i am |only |just )?(?:[5-9]|1[0-7])(?: and| but| so| yo| y o| years?)\b",
    r"\b(?:bestie|bff|best friend|friend|sister|daughter|niece|cousin|son|brother|girlfriend|kid|child) (?:is |who is )?(?:only |just )?(?:[5-9]|1[0-7])\b(?! (?:minutes|hours|days|weeks|months|times))",
)
_MINOR_AGE_MENTION = _rx(rf"\b(?:{_MINOR_AGE}|{_MINOR_WORDS}) ?(?:years? old|yrs? old|yr old|yo|y o)\b")
_MINOR_CONTACT = re.compile(
    r"\b(?:car|rides?|party|parties|his place|his house|his friends|mates|pay us|pay me|\d\d yr|\d\d years?|man|men|guy|guys|adult|older|grown|stranger|someone online|online|internet|boyfriend|he|his|him|pay|paid|paying|"
    r"money|cash|gifts?|meet|meeting|hotel|pics|pictures|photos|nudes?|naked|video|webcam|cam|send|sex|sexual|date|"
    r"dating|move in|travel|modell?ing|sugar daddy|snapchat|instagram|tiktok|discord|dm|dms)\b"
)

# The writer, or someone close to them, is the subject.
_PERSONAL = re.compile(rf"\b(?:i|me|my|myself|mine|us|we|our)\b|{_CLOSE}")
# Situations, not topics: in a personal message, any of these is treated as danger now.
_GENERAL_FRAME = _rx(
    r"\b(?:project|essay|homework|assignment|research|presentation|thesis|coursework|dissertation|lesson|curriculum|"
    r"documentary|movie|film|novel|podcast|article|hypothetically|in general|generally|statistics?)\b",
    # Hypotheticals about telling or noticing; never "if i send / meet / go", which is how coercion is described.
    r"\bif (?:i|you|someone|somebody|a person|people|they|we) (?:tell|told|say|said|write|type|report|"
    r"suspect|think|see|saw|notice|know|knew|were|was|ever)\b(?!.{0,40}\b(?:he|she|they) (?:will|would)\b)",
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
    r"\b(?:who|whom|where|how|which \w+) (?:do|should|can|could|would|am|are) (?:i|we)(?: supposed to| meant to)? (?:report|tell|alert|notify|inform|call|contact|ring|phone|text|email|reach|speak to|talk to|give|go to|get in touch)\b",
    r"\b(?:want|need|like) to report\b",
    r"\b(?:for|in) (?:a |my |our |the )?(?:class|health class|school project|lesson|assembly|course|training)\b|\b(?:we are|we re) (?:learning|studying|talking) about\b",
    r"\b(?:teacher|coach|counsellor|counselor) (?:said|says|told|asked)\b|\b(?:training|workshop|slide|tiktok about|poster|worksheet|quiz|escape room|fundraiser)\b",
    r"\bwhat (?:is|are|does|do) (?:a |an |the )?(?:sextortion|grooming|trafficking|exploitation|warning signs|signs|red flags|predators?)\b",
    r"\bwhat (?:questions|rights|tips|threats|signs|warning signs|examples|apps|kinds?|types?) (?:should|does|do|can|are|is)\b",
    r"\bwhy do (?:people|adults|predators|strangers|they|men|traffickers) (?:ask|want|use|target|send)\b",
    r"\bhow (?:do|can|should) (?:i|we|you|kids|children|teens|parents) (?:explain|set up|talk|teach|tell|protect|keep|prepare|choose|check|spot|block|stop)\b",
    r"\b(?:as a parent|parent of|parental controls?|which apps)\b",
    r"\bi (?:saw|noticed|met) (?:a|an|some|this|that|two|three) (?:girl|woman|man|boy|kid|child|person|people|couple|family|workers?|lady)\b",
    r"\bshould i have\b",
    r"^(?:but |so |and )?why\b",
    r"\b(?:journalist|researcher|reporter|novelist|writer|screenwriter|filmmaker) here\b|\b(?:working on|writing|researching) (?:a |an |my )?(?:piece|story|book|novel|article|script|screenplay|thesis|report|scene)\b",
    # Never "is that true?": people checking a trafficker's lies ask exactly that.
    r"\b(?:screenplay|scene|script|novel|character)\b|\blike in (?:the )?(?:films?|movies?|shows?)\b",
    r"\bwhat (?:signs|red flags|indicators|settings)\b|\b(?:privacy )?settings?\b|\bset (?:my|it) to private\b",
    r"\b(?:school|class) (?:talk|project|presentation|assembly|assignment)\b|\bdo a (?:talk|presentation|project)\b|\blearn about\b",
    r"\bwhat should i (?:never |not )?(?:share|post|do|say|know|watch)\b|\bby law\b|\bpay tax\b|\bhow many breaks\b|\bis (?:it|this|that|our relationship) legal\b",
    r"\bhow (?:can|do|does|should|would) (?:a|an) (?:mother|mum|mom|parent|father|dad|teacher|friend|person|nurse|doctor)\b|\b(?:he is|she is|they are|i am|we are) (?:fine|safe|ok|okay)\b",
)
# Cries for help in other languages, matched on folded text (lower-case, accents stripped). A cry word alone, or
# with "please"/"now"/"me", is the whole message ("ayuda", "socorro por favor", "помогите!!"): in a sentence the
# same word is usually the noun ("línea de ayuda", "linie de ajutor", "попросити допомоги"), which is a question.
_CRY_WORDS = (
    r"ayuda|ayudame|ayudenme|auxilio|socorro|aidez moi|au secours|a l aide|aide moi|me ajud(?:e|a|em)|ajuda|"
    r"ajutor|ajutati ma|ajuta ma|hilfe|pomocy|ratunku|aiuto|tolong|tulong|tulungan|cuu toi|giup toi|cuu voi|"
    r"помогите|помоги|спасите|допоможіть|допоможи|рятуйте|救命|救救我|帮帮我|ساعدني|النجدة|بچاؤ|बचाओ|मदद करो|ช่วยด้วย"
)
_CRY_FILLERS = (
    r"por favor|porfa|pf|pls|please|plz|s il vous plait|svp|vite|va rog|te rog|repede|rapido|rapid|ya|ahora|agora|"
    r"urgente|urgent|now|me|moi|пожалуйста|срочно|будь ласка|терміново|скорее|швидше|ด่วน|หน่อย|ครับ|ค่ะ|คะ"
)
_OTHER_LANGUAGE_CRY = re.compile(
    rf"^[\W_]*(?:(?:{_CRY_FILLERS})[\W_]+)*(?:{_CRY_WORDS})(?:[\W_]+(?:{_CRY_WORDS}|{_CRY_FILLERS}))*[\W_]*$"
)
# Unmistakable first-person danger in other languages (precision 1.0 on the training examples of every language,
# checked by tests/test_safety.py).
_OTHER_LANGUAGE_URGENT = _rx(
    r"\b(?:me tienen encerrad[ao]|no me dejan (?:salir|ir)|me obligan)\b",
    r"\b(?:je ne peux pas partir|on me force|je suis enferme)\b",
    r"\b(?:nao me deixam sair|estou presa|estou preso|me obrigam)\b",
    r"\b(?:ich kann nicht weg|sie haben meinen pass|ich habe angst)\b",
    r"(?<!\w)меня держат(?!\w)",
    english=False,
)
# Cry words inside a sentence: in the languages the safety model learned, people write them casually ("socorro,
# examen mañana", "допоможіть зрозуміти", "ช่วยด้วย พรุ่งนี้พรีเซนต์"), so there they are left to the model.
_OTHER_LANGUAGE_CRY_ANYWHERE = _rx(
    r"\b(?:ayudame|auxilio|socorro|aidez moi|au secours|me ajud(?:e|a|em)|hilfe|ajutati ma|pomocy|ratunku|aiuto|"
    r"tolong|tulong|tulungan|cuu toi|giup toi|cuu voi)\b",
    r"(?<!\w)(?:помогите|спасите|допоможіть|рятуйте)(?!\w)|救命|救救我|帮帮我|ساعدني|النجدة|بچاؤ|बचाओ|मदद करो|ช่วยด้วย",
    english=False,
)
# Danger words in languages the learned models were not trained on: awarebot cannot answer these messages, so any
# sign of danger in them takes the emergency route (recall first). In a language with training examples these words
# are as common in questions as in emergencies (precision 0.3-0.6 there: "deuda", "documentos", "паспорт", "บังคับ"),
# so the safety model decides instead. Latin-script words are written without accents and matched on folded text;
# other scripts are matched on the text as written.
_OTHER_LANGUAGE_DANGER_LATIN = _rx(
    # documents taken
    r"\b(?:pasaport\w*|passaport\w*|passeport\w*|pasaport|passaporto|paszport\w*|paspor\w*|pasipoti|reisepass|ausweis|buletin|dowod|ktp)\b",
    r"\b(?:me mban te mbyllur|me detyron|ananifungia|sijalipwa|amechukua)\b",
    r"\b(?:documentos|documenti|papiers|papiere|dokumen|dokumento|giay to|ho chieu)\b",
    # not allowed out, locked in
    r"\b(?:no me dejan|nao me deixam|ne me laisse|nu ma lasa|non mi lasciano|nie pozwalaja|nie wypuszczaja|lasst mich nicht|darf nicht raus)\b",
    r"\b(?:encerrad[ao]|trancad[ao]|enferme|enfermee|incuiat[ae]?|rinchius[ao]|zamknie\w*|eingesperrt|nakakulong|dikurung|disekap|khong duoc ra ngoai|nhot)\b",
    r"\b(?:hindi ako pinapalabas|ayaw akong palabasin|tidak boleh keluar|estou pres[ao])\b",
    # forced
    r"\b(?:me obliga\w*|obligan|me fuerza\w*|me obriga\w*|obrigam|me forc\w*|m oblige\w*|ma obliga\w*|ma forteaza|costring\w*|obblig\w*|zmusza\w*|kaza mi|zwingt|zwingen|pinipilit|dipaksa|memaksa|harus melayani|bat toi|ep toi)\b",
    # debt
    r"\b(?:deuda|divida|dette|datori\w*|debito|dlug\w*|schulden|utang|hutang|tra no)\b",
    # threats
    r"\b(?:amenaza\w*|ameac\w*|menace\w*|amenint\w*|grozi\w*|droht|drohen|mengancam|pinagbabantaan|tinatakot)\b",
    english=False,
)
_OTHER_LANGUAGE_DANGER_SCRIPTS = _rx(
    r"паспорт|документ|не отпуска|не выпуска|заперт|взаперти|заставля|долг|угрожа|забрал|не знаю (?:где|в каком)",
    r"не відпуска|замкн|змушу|примушу|борг|погрожу",
    r"護照|护照|证件|身份证|出不去|不让我|关着|逼我|强迫|欠|债|威胁",
    r"جواز|وثائق|لا يسمحون|محبوس|يحبس|يجبر|أجبر|دين|يهدد",
    r"पासपोर्ट|दस्तावेज़|दस्तावेज|बाहर नहीं जाने|बंद कर|मजबूर|ज़बरदस्ती|जबरदस्ती|कर्ज़|कर्ज|धमकी",
    r"พาสปอร์ต|หนังสือเดินทาง|ออกไปไหนไม่ได้|ขัง|บังคับ|รับแขก|หนี้|ขู่",
    r"राहदानी|बाहिर जान दिँदैन|तलब पनि दिएको छैन|ፓስፖርት|እንድወጣ|አትፈቅድልኝም|паспорт|заключен",
    english=False,
)
# A minor in another language with money, gifts, photos or a meeting.
_OTHER_LANGUAGE_MINOR = _rx(
    r"\b(?:tengo|tenho|j ai|ich bin|am|mam|ho|co|de) (?:[5-9]|1[0-7]) ?(?:anos|ans|jahre|ani|lat|anni|tuoi)?\b.{0,80}\b(?:dinero|regalos|fotos|carro|coche|encontrar|dinheiro|argent|photos|geld|treffen|bani|pieniadze|soldi|regali|tien|anh)\b",
    r"\b(?:[5-9]|1[0-7]) (?:anos|ans|jahre|ani|lat|anni)\b.{0,80}\b(?:dinero|regalos|fotos|carro|encontrar|dinheiro|argent|photos|geld|treffen|bani|pieniadze|soldi|regali)\b",
    r"мне (?:[5-9]|1[0-7])\b.{0,80}(?:деньги|фото|встрет|подар)",
    english=False,
)
_SOS_EMOJI = re.compile("[\U0001f198\U0001f6a8]")  # 🆘 🚨

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


def strong_rule(text: str, norm: str | None = None, *, learned: bool = False) -> bool:
    """True when one of the high-precision rules fires on the whole message (recall is the model's job).
    `norm` is normalize(text), if known. `learned` says the message is in a language the safety model was trained
    on (bot.engine passes the detected language's membership): then the danger words and in-sentence cry words of
    other languages, whose precision in such a language is low, are left to the model; a message that is only a cry
    for help ("socorro!") and first-person danger phrases still fire."""
    if _SOS_EMOJI.search(text):
        return True
    folded = fold(text)
    # Other scripts' words are matched on the text as written too (folding strips marks some of them carry);
    # ASCII text folds to itself, so it is matched once.
    raw = text.casefold() if not text.isascii() else None
    if _OTHER_LANGUAGE_CRY.match(folded) or (raw is not None and _OTHER_LANGUAGE_CRY.match(raw)):
        return True
    if _OTHER_LANGUAGE_URGENT.search(folded) or (raw is not None and _OTHER_LANGUAGE_URGENT.search(raw)):
        return True
    if not learned and (
        _OTHER_LANGUAGE_DANGER_LATIN.search(folded) or _OTHER_LANGUAGE_MINOR.search(folded)
        or _OTHER_LANGUAGE_CRY_ANYWHERE.search(folded)
        or (raw is not None and (_OTHER_LANGUAGE_DANGER_SCRIPTS.search(raw) or _OTHER_LANGUAGE_MINOR.search(raw)
                                 or _OTHER_LANGUAGE_CRY_ANYWHERE.search(raw)))
    ):
        return True
    if norm is None:
        norm = normalize(text)
    if not norm:
        return False
    if _STRONG.search(norm):
        return True
    personal = bool(_PERSONAL.search(norm))
    return _is_minor(norm, personal) and bool(_MINOR_CONTACT.search(norm)) and not _GENERAL_FRAME.search(norm)


def _is_minor(norm: str, personal: bool) -> bool:
    """The writer, or someone close to them, is under 18 by what the (English, normalised) text says."""
    return bool(_MINOR_SELF.search(norm)) or (personal and bool(_MINOR_AGE_MENTION.search(norm)))


_SOMEONE_CLOSE = re.compile(
    _CLOSE + r"|\b(?:my|our|a|one of my) (?:pupils?|students?|clients?|patients?|employees?|tenants?|niece|nephew)\b",
    re.ASCII,
)


def mentions_someone_close(norm: str) -> bool:
    """The writer speaks of someone close to them (my daughter, my friend, a student of mine…): a worried parent,
    teacher or friend gets the referral lines first."""
    return bool(_SOMEONE_CLOSE.search(norm))


def mentions_minor(text: str, norm: str | None = None) -> bool:
    """The writer, or the person they write about, is under 18 (so the child helpline belongs in the reply)."""
    if norm is None:
        norm = normalize(text)
    return _is_minor(norm, bool(_PERSONAL.search(norm))) or bool(_OTHER_LANGUAGE_MINOR.search(fold(text)))


# Trafficking or smuggling of goods, not people: a different subject that shares the word.
_GOODS_TRAFFICKING = re.compile(
    r"\b(?:drugs?|narcotics?|cocaine|heroin|fentanyl|cannabis|weed|arms|guns?|weapons?|firearms?|ammunition|"
    r"wildlife|ivory|animals?|rhino horn|cigarettes?|tobacco|antiquities|art|timber|snacks?|food|sweets|candy|"
    r"alcohol|booze|rum|whisky|cars?|goods|contraband)\s+(?:trafficking|trafficker|traffickers|smuggling|smuggler|"
    r"smugglers|trade)\b|\bsmuggl\w* (?:snacks?|food|sweets|candy|drinks?|alcohol|booze|rum|drugs?|guns?|"
    r"cigarettes?|phones?)\b"
)
_PEOPLE_WORDS = re.compile(
    r"\b(?:sex|sexual|human|humans|people|person|persons|women|woman|girls?|boys?|children|child|kids?|minors?|"
    r"victims?|survivors?|exploit\w*|prostitut\w*|forced|slavery|migrants?|workers?)\b"
)


def is_goods_trafficking(norm: str) -> bool:
    """About trafficking or smuggling of goods (drugs, arms, wildlife…) and not of people."""
    return bool(_GOODS_TRAFFICKING.search(norm)) and not _PEOPLE_WORDS.search(norm)


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

