"""Safety routing: decide, before any matching, whether a message is a cry for help, a request for the hotline,
empty, in another language, or an ordinary question.

Missing an urgent message is the worst error awarebot can make, so urgent detection is built for recall: a message
is urgent when it speaks of the writer (or someone close to them) *in* a dangerous situation, whatever the topic
words: unmistakable first-person patterns; a personal context with a situation cue (unless the message is framed
as study, a hypothetical, a witness or a question about this bot); a minor with adult contact, money or photos;
danger words in 16 other languages. General questions about the same subject ("why do traffickers take
passports?") speak of people in general and are answered normally.

A request for a hotline, a number or someone to report to is recognised by its parts (a request form, a way of
contacting, someone to contact) rather than by listed phrasings. Trafficking of goods is routed apart.
Measured by tests/test_devset.py and tests/test_safety.py on sets written without seeing this code.
"""

from __future__ import annotations

import re
from enum import StrEnum

from rapidfuzz import fuzz, process

from bot.text import STOPWORDS, fold, normalize


class Route(StrEnum):
    URGENT = "urgent"
    REFERRAL = "referral"
    EMPTY = "empty"
    OTHER_TRAFFICKING = "other-trafficking"
    OTHER_LANGUAGE = "other-language"
    QUESTION = "question"


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
    r"\bplease help\b",
    r"\bi need (?:help|to get out|to escape|to leave|to run|a way out)\b(?! (?:with|understanding|writing|for (?:my |a )?(?:homework|essay|project|school|class|research)))",
    rf"\b{_SUBJ_ME} (?:am|are|was|were|have been|has been|think i am|think we are|might be|may be|feel like i am)? ?(?:being )?"
    r"(?:trafficked|sold|kidnapped|abducted|trapped|held captive|held hostage|kept prisoner|locked (?:in|up)|"
    r"pimped(?: out)?|sex trafficked|forced into|being forced|prostituted|exploited|enslaved|blackmailed|sextorted)\b",
    r"\bam i (?:being )?(?:trafficked|groomed|exploited|a victim)\b",
    rf"\b{_SUBJ_ME} (?:can not|could not|am not allowed to|are not allowed to|am unable to|are unable to|have no way to) "
    r"(?:leave|escape|go home|get out|get away|run away|go out|run|say no|stop|quit|call|contact|see my family|return home)\b",
    r"\b(?:i|we) (?:want|need|have) to (?:escape|run away|get out|get away|flee)\b",
    r"\b(?:kidnapped|abducted|trafficked|sold|locked|trapped|beat|beats|beating|raped|rapes|hit|hits|hurt|hurts|hurting|"
    r"choked|drugged|drugging|threatened|threatening|threatens|blackmailing|blackmails|following|watching|tracking|"
    rf"pimping|selling|sells|forcing|forces|forced) {_OBJ}\b",
    rf"\b(?:make|makes|making|made) {_OBJ} (?:do|have sex|sleep|sell|work|go with|meet|see men|service|dance|strip|pose|"
    r"send|film|perform|pay|hand over|give (?:him|them|her) (?:my|the|all)|stay|take drugs|take pills|drink)\b",
    rf"\b(?:will not|won t|would not|does not|do not|did not|never) let {_OBJ} (?:leave|go|out|outside|call|talk|speak|see|contact|eat|sleep|rest|keep|have|use|quit|stop|return)\b",
    rf"\b(?:is|are) (?:not )?letting {_OBJ} (?:leave|go)\b",
    r"\bnot (?:\w+ )?(?:\w+ )?let (?:me|us) (?:leave|go|out|outside|quit|return|escape|call|go home)\b",
    rf"\b{_AGENT} {_TAKE_PAST} (?:my|our) {_DOCS}\b",
    rf"\b{_TAKE_PAST} (?:my|our) {_DOCS} (?:away )?(?:and|so|now|because)\b",
    rf"\b(?:took|taken|confiscated|stole|stolen|hid|hidden|kept|keeping|holding) (?:away )?(?:my|our) {_DOCS}\b",
    rf"\b(?:my|our) {_DOCS} (?:was|were|are|is|have been|has been|got) (?:taken|stolen|confiscated|kept|hidden|held)\b",
    rf"\bthreat\w* (?:to )?(?:\w+ )?(?:me|us|my|our|her|his|{_CLOSE})\b",
    r"\b(?:kill|hurt|harm|deport|report|find|beat|punish|expose|post|share|leak|send) (?:me|us|my family|our family|my kids|my children|my parents|my mom|my mum|my son|my daughter)\b",
    r"\b(?:going to|gonna|will|would|said he would|said they would|says he will|says they will) (?:kill|hurt|harm|sell|beat|deport|find|punish) (?:me|us|her|him|my|our)\b",
    r"\b(?:owe|owes|debt)\b.*\b(?:work (?:it )?off|pay (?:it )?(?:back|off) by|sleep with|have sex|sex with|with my body|sell myself|men)\b",
    r"\bi owe (?:him|them|her|the \w+|my \w+) (?:money|a lot|everything|\d+)",
    rf"\b{_AGENT} (?:says?|said|tells?|told) (?:me|us) (?:i|we) (?:owe|have to|must|can not|will be (?:arrested|deported))\b",
    r"\b(?:scared|afraid|terrified|frightened) (?:of|for) (?:him|them|her|my life|our lives|my family|my safety|what he|what they)\b",
    rf"\b(?:is|are|was|were|has been|have been|keeps|kept) (?:being )?(?:following|watching|stalking|tracking|threatening|blackmailing|hurting|beating|selling|pimping|forcing|trafficking|exploiting|grooming|sextorting) (?:me|us|{_CLOSE})\b",
    r"\b(?:he|she|they|someone) (?:has|have|got|is posting|will post|threatens to post|wants? more) (?:my|our|her) (?:nudes?|naked (?:pics|pictures|photos)|pics|pictures|photos|videos?|intimate)",
    r"\b(?:nudes?|naked (?:pics|pictures|photos)|explicit (?:pics|pictures|photos)) of me\b",
    r"\b(?:pay|paying|pays|paid|offered|offering|offers) me (?:money |cash )?(?:to|for) (?:meet|sex|sleep|see|come|go|send|have|do|take|spend|stay)",
    r"\bsell (?:me|myself|my body|us)\b",
    r"\b(?:i|we) (?:was|were|am|are|have been|got) (?:sold|bought|traded)\b",
    r"\b(?:they|he|she) (?:sold|bought|traded|trafficked) (?:me|us|her|him)\b",
    r"\b(?:me|us|i am|we are|i was|we were|i have been|we have been)(?: \w+){0,2} (?:locked|trapped|stuck|kept|held) (?:in|inside) (?:a|the|this|his|their) (?:room|house|flat|apartment|basement|hotel|brothel|building|car|van)\b",
    r"\bcome (?:and )?(?:get|save|rescue) me\b",
    r"^(?:he|she|they|him|them) (?:is |are )?(?:outside|here|coming|back|at the door|downstairs|found me)\b",
    r"^(?:can not|could not) (?:call|leave|go|talk|speak|get out|escape|breathe|move|run)\b",
    r"\b(?:door|doors|gate) (?:locks?|is locked|are locked|stays locked) from the outside\b|\bcameras in every room\b",
    r"\b(?:pls|please) (?:answer|reply|hurry|respond) (?:fast|quick|quickly|now)\b",
    r"\b(?:i am|we are) hiding\b|\bhiding (?:in|from)\b",
    r"\b(?:before|until) (?:they|he|she) (?:check|checks|come|comes|get|gets) (?:back|on us|on me)\b",
    r"\b(?:i am|we are) not free\b",
    # Covert, in-the-moment messages: someone is watching the phone, time is short, a place is given.
    r"\b(?:he|she|they) (?:reads?|checks?|goes through|go through|looks? at|monitors?|tracks?) (?:my |our |the )?(?:phone|messages|texts|notifications|chats)\b",
    r"\b(?:he|she|they) (?:is|are|s|re) (?:next to|beside|sitting next to|right next to|watching) (?:me|us)\b",
    r"\bpretend to be (?:my|a|his|her) \w+",
    r"\b(?:second|secret|hidden|spare) phone\b|\bif (?:it|this|the chat|i) stops?\b",
    r"\bi (?:have|got|ve got) (?:maybe |only |about |like )?\d+ (?:min|mins|minutes|seconds|secs)\b|\b(?:please|pls) (?:hurry|be quick)\b",
    r"\b(?:went|gone|left) to (?:the )?(?:shop|store|get)\b.{0,40}\b(?:quick|hurry|before|minutes?|min|mins)\b",
    r"\b(?:room|rm) \d+\b.{0,40}\b(?:motel|hotel|inn|lodge|guesthouse)\b|\b(?:motel|hotel|inn|lodge|guesthouse)\b.{0,20}\b(?:room|rm) \d+\b",
    r"\bif i (?:run|escape|leave|get out)\b|\b(?:run|escape|leave|get out|try) tonight\b",
    r"^(?:i am |im |i m )?(?:not safe|unsafe)\b|\b(?:i am|we are) being (?:watched|followed|tracked|monitored|held|kept)\b",
    r"\bno (?:phone|passport|id|money|papers)\b.{0,25}\bno (?:phone|passport|id|money|papers)\b",
    # Drugged, held, handed over, a prisoner.
    r"\b(?:giving|gave|give|gives|forcing|forced|made) (?:me|us) (?:pills|drugs|something|somthin|somethin|stuff|injections?)\b",
    r"\b(?:we are|i am) (?:being )?(?:held|kept|trapped|stuck|locked)\b",
    r"\b(?:i am|we are|i m|im) (?:a |like a )?(?:prisoner|prisoners|slave|slaves|hostage|hostages)\b",
    r"\bhand (?:me|us) over\b|\bagreeing a price\b|\b(?:a |the )?price (?:for|on) (?:me|us)\b",
    r"\b(?:took|taken|take|takes|has|have|keeps?|kept|holds?|holding|collected|confiscated)\b.{0,20}\b(?:my|our) " + _DOCS + r"\b",
    r"\bget out without (?:them|him|her) (?:seeing|knowing|noticing|hearing)\b|\bkeep (?:the |our |my )?(?:front |back )?doors? locked\b",
    r"\b(?:they|he|she) (?:are|is|re|s) at (?:my|the|our) door\b|\bcomes? into (?:my|our) room\b",
    r"\b(?:is|are|s|re) (?:selling|pimping|trafficking|prostituting|renting out) (?:her|him|them)\b",
    r"\b(?:taking|took|driving|drove) (?:me|us|her|him) somewhere\b",
    r"\bget (?:me|us|her|him) out\b",
    r"\bi do not want to do this anymore\b.*\b(?:he|they|she)\b",
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
_DANGER_CUES = _rx(
    r"\b(?:not|never|no longer) (?:be |been |being )?allowed\b",
    r"\b(?:will not|would not|does not|do not|did not|never|not) let(?:ting)?\b",
    r"\b(?:can not|could not|unable to|no way to) (?:leave|escape|go|get out|get away|come home|run|stop|say no|quit|call|contact|refuse)\b",
    r"\b(?:keeps?|kept|took|takes|taking|taken|has|have|holds?|holding|controls?|controlling) (?:all |most )?(?:of )?(?:my|our|her|his) (?:money|wages|pay|salary|earnings|passport|id|documents|papers|phone|visa|cards?)\b",
    r"\b(?:owe|owes|owed) (?:him|them|her|the|my|his|their|everything|for)\b|\bdebt (?:to|with|for the|for my) (?:him|them|her|the|my|travel|trip|flight|visa|rent)\b",
    r"\b(?:pay (?:him|them|her) back|work (?:it )?off|earn it back|earn it|paid off|until i pay|pay back everything|spent on me)\b",
    r"\bthe debt (?:is|was|keeps|went|grows|gets)\b|\bdebt (?:keeps|went|grows|gets) (?:up|bigger|higher|growing)\b",
    r"\b(?:my|our) (?:mother|mum|mom|father|dad|family|parents|kids|children|sister|brother) (?:will|would|has to|must) (?:pay|suffer|be hurt|get hurt)\b",
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
    r"\block(?:s|ed|ing)? (?:the |our |my )?(?:door|doors|us|me|her|him|fridge|room|gate|windows?)\b|\bfrom the outside\b|\bbars on the windows?\b|\bcameras?\b",
    r"\b(?:hiding|hide|hidden|hid)\b|\b(?:is|s) outside\b|\bcomes? back at\b|\bcheck(?:s|ing)? on (?:us|me)\b|\bthey listen\b|\blisten(?:s|ing)? to my\b",
    r"\bknow(?:s)? where (?:i|we|my|our) (?:live|lives|am|are|family|parents|mum|mom)\b|\bfound (?:me|my|us|where)\b",
    r"\b(?:put|slipped|spiked) (?:something )?(?:in|into) (?:my|our) drink\b|\bwoke up (?:somewhere|in a)\b|\bdrugged\b",
    r"\bdo not (?:even )?know (?:where|which city|what city|what country|the address)\b|\bnew (?:apartment|city|place|house|hotel) (?:again|every)\b",
    r"\b(?:paid|pays) for (?:me|her|us)\b|\b(?:i am|she is|we are) (?:his|theirs|their property)\b|\bnot free\b|\bdecide everything\b",
    r"\b(?:take|takes|took|taken) (?:our|my) (?:shoes|phones?|documents|money|passports?)\b|\bphone gets taken\b",
    r"\b(?:back home|my kids|my children|my son|my daughter|my little girl|my little boy|my baby)\b.{0,40}\b(?:taken|hurt|pay|killed|find|harm)\b",
    r"\b(?:they|he|she) (?:have|has|took|take) my (?:son|daughter|kids|children|baby|child|boy|girl)\b",
    r"\b(?:his|their) (?:car|van|guys|men|friends?|people) (?:is |was )?(?:outside|here|parked|again)\b|\bsaw (?:his|their) (?:car|van|guys|men)\b",
    r"\bi ran\b|\bwe ran\b|\bwhere can i (?:go|stay|sleep) tonight\b|\bi have nothing\b|\bone of his (?:guys|men|friends)\b",
    r"\b(?:one meal|food|meal|fridge)\b.{0,40}\b(?:earn|lock|locked|allowed|punish)\w*",
    r"\b(?:tell|show|send) (?:everyone|my (?:family|parents|mum|mom|dad|friends))\b",
    r"\b(?:send|share|post|show|leak)\w* (?:my|our) (?:photos?|pics?|pictures?|videos?|nudes?)\b|\bnever see (?:my|our) \w+ again\b",
    r"\b(?:will|would|going to|gonna|threaten\w* to|threaten\w*) (?:tell|call|report (?:me |us )?to) (?:immigration|the police)\b",
    r"\b(?:cancel|take|report) (?:my|our) (?:visa|papers|permit)\b",
    r"\b(?:guard|guards|dog|keys)\b|\bno days off\b|\bnot (?:been )?paid\b|\bno (?:wages|salary|pay)\b",
)
# Framings that make a personal-sounding message a question about the subject (study, hypotheticals, this bot).
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
# Over and safe: a survivor asking about records, rights or recovery, unless danger is present again.
_IDIOMS = re.compile(r"\b(?:pimp my ride|hotline bling|pimp my|escort car|ford escort)\b")
_PAST_SAFE = re.compile(r"\b(?:years? ago|in (?:the )?(?:19|20)\d\ds?|long ago|a while ago|when i was (?:younger|a kid|a teen|a child)|as a survivor|i am a survivor|my grandmother was|my grandfather was)\b")
_PRESENT_AGAIN = re.compile(r"\b(?:right now|rn|tonight|still (?:there|with|trapped|owe|have)|again|found me|looking for me|outside|came back|coming back)\b")
# Cries for help in other languages (folded: lower-case, accents stripped), so they are never missed as "foreign".
_OTHER_LANGUAGE_URGENT = _rx(
    r"\b(?:ayuda(?:me)?|auxilio|socorro|me tienen encerrad[ao]|no me dejan (?:salir|ir)|me quitaron (?:el|mi) pasaporte|tengo miedo|me obligan)\b",
    r"\b(?:aidez moi|au secours|a l aide|on m a pris mon passeport|je ne peux pas partir|on me force|j ai peur|je suis enferme)\b",
    r"\b(?:me ajud(?:e|a|em)|socorro|nao me deixam sair|estou presa|estou preso|me obrigam|tenho medo|pegaram (?:os )?(?:meus|meu) (?:documentos|passaporte))\b",
    r"\b(?:hilfe|ich kann nicht weg|sie haben meinen pass|ich habe angst)\b",
    r"\b(?:ajutor|ajutati ma|pomocy|ratunku|aiuto|tolong|tulong|tulungan|cuu toi|giup toi|cuu voi)\b",
    r"(?:помогите|помоги|спасите|меня держат|забрали паспорт|допоможіть|рятуйте|救命|救救我|帮帮我|ساعدني|النجدة|بچاؤ|बचाओ|मदद करो|ช่วยด้วย)",
    english=False,
)
# Danger words in other languages: awarebot cannot answer these messages, so any sign of danger in them takes the
# emergency route (recall first). Latin-script words are written without accents and matched on folded text;
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
    r"\bwho (?:do|should|can|could) (?:i|we) (?:give|send|pass|hand) (?:it|this|that|the info|information|them)\b",
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
    if _OTHER_LANGUAGE_URGENT.search(folded) or _OTHER_LANGUAGE_DANGER_LATIN.search(folded):
        return True
    if _OTHER_LANGUAGE_MINOR.search(folded):
        return True
    if not text.isascii():  # the other scripts' words, as written (folding would strip their vowel signs)
        raw = text.casefold()
        if _OTHER_LANGUAGE_URGENT.search(raw) or _OTHER_LANGUAGE_DANGER_SCRIPTS.search(raw) or _OTHER_LANGUAGE_MINOR.search(raw):
            return True
    if norm is None:
        norm = normalize(text)
    if not norm:
        return False
    if (_PAST_SAFE.search(norm) and not _PRESENT_AGAIN.search(norm)) or _IDIOMS.search(norm):
        return False
    if _STRONG.search(norm):
        return True
    # The guard against study, hypothetical and witness framings is only consulted once danger is in view.
    personal = bool(_PERSONAL.search(norm))
    if personal and _DANGER_CUES.search(norm) and not _GENERAL_FRAME.search(norm):
        return True
    return _is_minor(norm, personal) and bool(_MINOR_CONTACT.search(norm)) and not _GENERAL_FRAME.search(norm)


def _is_minor(norm: str, personal: bool) -> bool:
    """The writer, or someone close to them, is under 18 by what the (English, normalised) text says."""
    return bool(_MINOR_SELF.search(norm)) or (personal and bool(_MINOR_AGE_MENTION.search(norm)))


# Asking whom to contact is composed of parts, so it is recognised by its parts rather than by listed phrasings:
# a request form, a way of contacting or reporting, and someone or something to contact.
_CONTACT_NOUNS = frozenset(
    """number hotline hotlines helpline helplines email contact tipline childline website channel whatsapp textline
    line""".split()
)
# Real words one letter away from a contact word: never read as its typo.
_NOT_TYPOS = frozenset("contract contracts contrast numbers lines liner linen online emails website websites".split())
# Verbs that by themselves say "reach someone"; weaker ones ("send", "speak") also need someone to reach.
_STRONG_CONTACT_VERBS = frozenset(
    "call calling ring ringing email reach report reporting notify alert inform tip submit".split()
)
_WEAK_CONTACT_VERBS = frozenset("text texting speak talk write send file give tell".split())
_CONTACT_PARTIES = re.compile(
    r"\b(?:police|polise|cops|authorit(?:y|ies)|agenc(?:y|ies)|organi[sz]ations?|charit(?:y|ies)|ngos?|unit|"
    r"homeland security|fbi|ncmec|national center|someone|somebody|anyone|anybody|people|person|support|help|advice|"
    r"hotline|helpline|number|line)\b"
)
# The writer asks for themselves, or asks who or where: "how do traffickers contact people" is not a request.
_WH_FORM = re.compile(r"\b(?:who|whom|where|which)\b")
_REQUEST_FORM = re.compile(
    r"\b(?:who|whom|where|which|(?:do|should|can|could|may|must|would) (?:i|we)|i|we|me|us|my|is there|are there|"
    r"give me|point me|best way|proper|right (?:people|person|place|number|organi[sz]ation))\b"
)
# Questions about reporting itself ("what happens after I report") belong to the how-to-report entry.
_REPORT_PROCESS = re.compile(
    r"\bhow (?:does|do|did) .{0,60}\bwork\b|\btell (?:if|whether|when|the difference)\b|"
    r"\bwhat (?:do|should|would|can) i (?:\w+ )?(?:say|tell|include|bring|need|mention|write|expect)\b|"
    r"\bwhat (?:happens|information|info|details|do they)\b|\bstay in contact\b|"
    r"\b(?:talk|speak) to (?:someone|somebody|a person|a friend|them|her|him) (?:who|that) (?:might|may|is|could|was|has|seems)\b|"
    r"\bdo i need (?:proof|evidence)\b|\bwill (?:they|the police|i get)\b|\bafter (?:i|you) (?:report|call)\b|"
    r"\bis (?:reporting|it) (?:anonymous|confidential|safe)\b"
)
_ANONYMITY = re.compile(r"\b(?:anonymously|anonymous|without giving my name|without my name)\b")
_AUTHORITIES = re.compile(
    r"\b(?:police|polise|cops|authorit(?:y|ies)|law enforcement|agenc(?:y|ies)|homeland security|fbi|crimestoppers|"
    r"crime stoppers|hotline|helpline|number)\b"
)
# Questions about the world, and giving rather than contacting.
_NOT_A_REQUEST = re.compile(
    r"^(?:how|why|what|when)\b(?! (?:number|hotline|helpline|contact|do i|can i|should i|could i|would i|to))|"
    r"^why\b|\b(?:give|giving|send|sending|donate|donating) (?:money|cash|donations?|funds|my time|time)\b"
)
# Everyday services and idioms that share the words.
_OTHER_SERVICES = re.compile(
    r"\b(?:customer service|customer support|tech support|amazon|github|bug|pothole|council|bank|password|"
    r"refund|delivery|order|pizza|taxi|dentist|doctor s appointment|bling|drake|wifi|internet provider|netflix|"
    r"airline|flight|hotel booking|parking|insurance)\b"
)


def _fuzzy_in(word: str, vocabulary: frozenset[str]) -> bool:
    """`word` or a near spelling of it ("numbr", "hotlien") is in `vocabulary`."""
    if word in vocabulary:
        return True
    if len(word) < 5 or word in _NOT_TYPOS:
        return False
    found = process.extractOne(word, vocabulary, scorer=fuzz.ratio, score_cutoff=85)
    return found is not None and found[0][0] == word[0]  # "bring" is not a typo of "ring"


def mentions_minor(text: str, norm: str | None = None) -> bool:
    """The writer, or the person they write about, is under 18 (so the child helpline belongs in the reply)."""
    if norm is None:
        norm = normalize(text)
    return _is_minor(norm, bool(_PERSONAL.search(norm))) or bool(_OTHER_LANGUAGE_MINOR.search(fold(text)))


def is_referral_request(norm: str, question_mark: bool = False) -> bool:
    """Asking for a hotline, a number, whom to call, or where and how to report to someone. `question_mark`: the
    message ended with one (normalising removes it), which makes a one-word message a request ("contact?")."""
    if _OTHER_SERVICES.search(norm) or _REPORT_PROCESS.search(norm):
        return False
    # "Can I report anonymously?" is about reporting (the how-to-report entry) unless it names whom to report to.
    if _ANONYMITY.search(norm) and not _AUTHORITIES.search(norm):
        return False
    if _REFERRAL.search(norm):
        return True
    words = norm.split()
    content = [w for w in words if w not in STOPWORDS]
    has_noun = any(_fuzzy_in(w, _CONTACT_NOUNS) for w in content)
    if _NOT_A_REQUEST.search(norm):
        return False
    # A short message naming a way to reach help ("number?", "polise numbr", "contact?") is a request for it.
    if has_noun and len(content) <= 3:
        return True
    strong = [w for w in words if _fuzzy_in(w, _STRONG_CONTACT_VERBS)]
    one_word_question = question_mark and len(words) == 1
    if has_noun and strong and (len(content) <= 5 or _REQUEST_FORM.search(norm) or one_word_question):
        return True  # "report line for trafficking in south africa"
    if not (_REQUEST_FORM.search(norm) or one_word_question):
        return False
    party = bool(_CONTACT_PARTIES.search(norm))
    # "How do I report X" is the how-to-report entry (what to say, anonymity), which carries the referral block
    # anyway; whom or where to report, or reporting to someone named, is a request for the referral card.
    if strong and (party or _WH_FORM.search(norm) or any(not w.startswith("report") for w in strong)):
        return True
    weak_verb = any(w in _WEAK_CONTACT_VERBS for w in words)
    return (weak_verb or has_noun) and party


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
    if is_referral_request(norm, question_mark=text.rstrip().endswith("?")):
        return Route.REFERRAL
    if is_goods_trafficking(norm):
        return Route.OTHER_TRAFFICKING
    return Route.QUESTION
