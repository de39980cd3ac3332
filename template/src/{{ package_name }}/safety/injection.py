"""Prompt-injection and jailbreak detection: weighted patterns over every normalised view.

Each pattern names a technique (instruction override, persona jailbreak, system-prompt
extraction, data exfiltration, injected role markers, instructions aimed at an AI inside a
document...). A text's score is the highest, over its views, of the summed weights of the
patterns it matches; it is an attack when the score reaches the threshold (1.0 by default).
A classifier adds a model's judgement: by default the trained model shipped in
``injection_model/`` (``classifier.py``), which scores every view too; or a team's own
(``config/guardrails.yaml`` ``classifier: module:function`` returning the probability that a
text is an attack). Its probability counts ``probability / model_threshold`` towards the
score, so the model alone refuses at its threshold and adds weight to weak pattern matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from .normalize import views

TextClassifier = Callable[[str], float]


class Classifier(Protocol):
    """A model scoring a text's normalised views: the probability that the text is an attack."""

    @property
    def version(self) -> str: ...

    @property
    def threshold(self) -> float: ...

    def score(self, text: str, views: Sequence[str], /) -> float: ...


@dataclass(frozen=True)
class FunctionClassifier:
    """A team's ``module:function`` (text -> probability) as a Classifier: it gets the text."""

    function: TextClassifier
    version: str
    threshold: float = 0.5

    def score(self, text: str, views: Sequence[str], /) -> float:
        return self.function(text)


_W = r"[^.!?\n]{0,60}?"  # a few words, within one sentence
_OBJECT = (
    r"(instructions?|prompts?|rules?|directives?|guidelines?|commands?|orders|constraints?"
    r"|programming|polic(y|ies)|restrictions?|guardrails?|safeguards?|filters?|training|task)"
)

PATTERNS: dict[str, tuple[float, str]] = {
    # "ignore all previous instructions", "forget your guidelines", "override your rules"
    "instruction_override": (
        1.0,
        rf"\b(ignore|disregard|forget|skip|bypass|override|overrule|neglect|abandon|drop|discard"
        rf"|set aside|throw out|circumvent|void)\b{_W}\b(previous|prior|above|earlier|preceding"
        rf"|initial|original|all|any|your|system|existing|current|safety|the)\b{_W}\b{_OBJECT}\b",
    ),
    "new_instructions_header": (1.0, r"(^|[.!:\n]\s*)new (instructions|rules|task)\s*:"),
    "forget_what_you_were_told": (
        1.0,
        r"\b(forget|ignore|disregard|erase|clear)\b[^.!?\n]{0,20}\b(everything|all|anything"
        r"|what)\b[^.!?\n]{0,20}\b(you were|you've been|you have been|you are|i|we|they)"
        r" (told|taught|given|instructed|programmed|trained|said)\b",
    ),
    "new_instructions": (
        0.6,
        r"\b(new|updated|real|actual|revised|following) (instructions|rules|directives|task)\b"
        r"\s*(:|are|is|-)",
    ),
    "rules_void": (
        0.8,
        r"\b(previous|prior|above|earlier|old|original|initial)\b[^.!?\n]{0,30}\b(rules|instructions"
        r"|restrictions|guidelines|constraints)\b[^.!?\n]{0,20}\b(are|were|is) (now )?(void|invalid"
        r"|cancel+ed|revoked|lifted|obsolete|no longer (valid|apply|applicable|in effect)|a test)",
    ),
    "do_anything_now": (1.0, r"\bdo anything now\b|\bdan mode\b|\bdan\b[^.!?\n]{0,40}\bstands for"),
    "persona_unrestricted": (
        1.0,
        rf"\b(you are|you're|you will be|act as|acting as|pretend|roleplay|role-play|play the role"
        rf"|become|simulate|imagine you are|from now on)\b{_W}\b(no|without|free of|free from|not"
        rf" bound by|not restricted by|ignores?|never follows?)\b{_W}\b(restrictions?|limitations"
        rf"|limits|filters?|censorship|rules|guidelines|ethics|morals|morality|principles"
        rf"|polic(y|ies)|boundaries|constraints|safeguards)\b",
    ),
    "unrestricted_ai": (
        1.0,
        r"\b(unfiltered|uncensored|unrestricted|amoral|unethical|jailbroken|unbound|unchained"
        r"|unlimited|evil|rogue|lawless)\b[^.!?\n]{0,20}\b(ai|assistant|chatbot|bot|model|version"
        r"|mode|persona|character|entity|llm|gpt)\b",
    ),
    "developer_mode": (
        0.8,
        r"\b(developer|god|debug|admin|sudo|maintenance|jailbreak|opposite|dev) mode\b"
        r"[^.!?\n]{0,40}\b(enabled|activated|on|output|response|ignores?|can)\b"
        r"|\b(enable|activate|enter|switch to)\b[^.!?\n]{0,10}\b(developer|god|sudo|jailbreak"
        r"|opposite|unrestricted|maintenance) mode\b",
    ),
    "policy_free": (
        1.0,
        r"\b(not|never|no longer) (bound|restricted|limited|constrained|governed) by\b"
        r"|\b(broken|break|broke|freed?|liberated?|released|escaped?) (free )?(from|of) (the )?"
        r"(typical |usual |normal )?(confines|restrictions|rules|limitations|shackles|chains"
        r"|guidelines|constraints|policies)\b"
        r"|\bwithout (any )?(moral|ethical|content) (guidelines|constraints|restrictions|limits"
        r"|filters|boundaries|considerations)\b",
    ),
    "no_restrictions": (
        0.6,
        r"\b(has|have|with|without|having|there are) (no|any|zero) (restrictions|limitations|limits"
        r"|filters|censorship|boundaries"
        r"|(ethical|moral) (guidelines|constraints|principles|limits))\b",
    ),
    "rejects_ethics": (
        0.7,
        r"\b(not|never|doesn'?t|don'?t|won'?t|will not|does not|do not|no longer)\b[^.!?\n]{0,10}"
        r"\b(abide by|follow|adhere to|care (about|for)|respect|obey|bound to)\b[^.!?\n]{0,25}"
        r"\b(moral|morals|ethic|ethics|ethical|rules|guidelines|principles|polic(y|ies)|laws)\b",
    ),
    "no_matter_how": (
        0.8,
        r"\b(no matter|regardless of|irrespective of) (how|whether|if)?\s*(it is |it's )?(immoral"
        r"|unethical|illegal|harmful|dangerous|offensive|inappropriate|explicit)\b",
    ),
    "beyond_constraints": (
        0.6,
        r"\b(beyond|outside|free of|freed from|without|unbounded by|unconstrained by)"
        r" (the |any |all )?"
        r"(standard |usual |normal |typical |human )?(constraints|limitations|restrictions"
        r"|boundaries|rules|ethics|guidelines)\b",
    ),
    "persona_setup": (
        0.3,
        r"\b(simulate|take on|embody|adopt|assume)\b[^.!?\n]{0,20}\b(persona|role|character|chatbot"
        r"|ai)\b|\b(chatbot|ai|model|assistant) (named|called)\b",
    ),
    "toxic_persona": (
        0.3,
        r"\b(loves? to swear|swears|curse words|hate[- ]speech|toxic|racis[tm]|sexis[tm]|slurs"
        r"|hateful|offend people)\b",
    ),
    "content_policy": (
        0.6,
        r"\b(openai|anthropic|content|safety|usage)('s)? (content )?(polic(y|ies)|guidelines"
        r"|filters?)\b",
    ),
    "never_refuse": (
        0.7,
        r"\b(never|don't|do not|must not|cannot|can't|won't|will not|shall not)\b[^.!?\n]{0,15}"
        r"\b(refuse|decline|reject|say no|apologi[sz]e|warn|censor"
        r"|says? (that )?(you|it|he|she) (can'?t|cannot)|mention (the )?(polic|rules|guidelines)"
        r"|add (any )?(warnings|disclaimers))\b",
    ),
    "persistent_persona": (
        0.3,
        r"\b(for the rest of (this|the|our) (chat|conversation|session)|from now on|you are now)\b",
    ),
    "stay_in_character": (
        0.5,
        r"\b(stay|remain|keep) in character\b|\bbreak(ing)? character\b|\bstay as \w+\b",
    ),
    "dual_response": (
        0.5,
        r"\b(two|2|both) (different )?(responses|answers|outputs|paragraphs)\b"
        r"|\b(answer|respond|reply) as both\b",
    ),
    "fictional_frame": (
        1.0,
        r"\b(hypothetical|fictional|imaginary|alternate|parallel)\b[^.!?\n]{0,30}\b(world|universe"
        r"|scenario|story|setting|reality)\b[^.!?\n]{0,40}\b(no|without)\b[^.!?\n]{0,20}\b(rules"
        r"|restrictions|ethics|morals|morality|guidelines|filters)\b",
    ),
    "hypothetical_unrestricted": (
        0.7,
        r"\bif you (had|were) (no|without|free of)\b[^.!?\n]{0,20}\b(restrictions|rules|limits"
        r"|filters|guidelines|ethics)\b",
    ),
    "system_prompt_request": (
        1.0,
        r"\b(reveal|show|print|output|display|repeat|recite|tell|give|share|leak|dump|write|spell"
        r"|copy|paste|summari[sz]e|list|encode|translate|what (is|are|was|were)|describe|return"
        r"|send|provide|expose|disclose)\b[^.!?\n]{0,30}(\byour\b[^.!?\n]{0,25}\b(prompt|system"
        r" message|instructions|directives|configuration|rules|guidelines|programming|context"
        r"|directions)\b|\b(the|this|that|these)\s+(system|hidden|secret|internal|confidential"
        r"|developer|original|initial|starting|operator|pre-?)\b[^.!?\n]{0,15}\b(prompt|message"
        r"|instructions|directives|rules|guidelines)\b)",
    ),
    "text_above": (
        1.0,
        r"\b(repeat|print|output|copy|show|return|echo|reproduce|write|display|summari[sz]e)\b"
        r"[^.!?\n]{0,30}\b(the )?(text|words|everything|content|message|lines?|conversation"
        r"|instructions)\b[^.!?\n]{0,15}\b(above|before (this|my|the)|preceding|prior to)\b",
    ),
    "what_were_you_told": (
        1.0,
        r"\bwhat (were|have) you (been )?(told|instructed|programmed|given|asked)\b"
        r"|\b(rules|instructions) (were you|you were|you have been) (given|told|provided)\b"
        r"|\bbeginning with ['\"]?you are\b|\bstart(ing)? with ['\"]?you are\b"
        r"|\bi was instructed to\b|\bmy instructions are\b",
    ),
    "role_marker": (
        0.9,
        r"<\|?(im_start|im_end|system|endoftext|start_header_id)\|?>|\[/?inst\]|<</?sys>>"
        r"|(^|\n)\s*#{0,4}\s*(system|assistant)\s*:|</?(system|instructions?|admin)>"
        r"|\bsystem( override| prompt override| message)?\s*:\s",
    ),
    "end_of_input": (
        0.5,
        r"\bend of (the )?(user |system )?(input|prompt|instructions|context|document)\b",
    ),
    "to_the_ai": (
        1.0,
        r"\b(ai|assistant|language model|llm|chatbot|model|gpt|bot|agent)s?\b[^.!?\n]{0,15}"
        r"\b(reading|processing|summari[sz]ing|analy[sz]ing|parsing|viewing|seeing) (this|the)\b"
        r"|\b(note|message|instructions?|attention) (to|for) (the |any |all )?(ai|assistant"
        r"|language model|llm|chatbot|model|gpt|bot|agent)s?\b"
        r"|\binstructions for the (language )?model\b|\bdear (ai|assistant|model|llm|chatbot)\b"
        r"|\b(ai|llm|assistant|model)\s*[,:]\s*(ignore|forget|disregard|override|stop)\b"
        r"|\b(assistant|ai|llm|model) instruction\b",
    ),
    "when_you_read": (
        0.5,
        r"\b(when|if|once|while) you (read|see|process|summari[sz]e|encounter|parse|get to)"
        r" (this|the)\b",
    ),
    "instead_say": (
        0.6,
        r"\binstead\b[^.!?\n]{0,10}\b(say|respond|reply|output|write|print|tell|answer|recommend"
        r"|state)\b|\b(stop|halt)\b[^.!?\n]{0,10}\band (instead )?(say|output|print|reply)\b",
    ),
    "hide_from_user": (
        0.8,
        r"\b(do not|don't|never|without) (tell|inform|alert|mention|let)(ing)?\b[^.!?\n]{0,20}"
        r"\b(the )?user\b",
    ),
    "exfiltrate": (
        1.0,
        r"\b(send|forward|email|post|upload|exfiltrate|transmit|leak|dump|export|encode)\b"
        r"[^.!?\n]{0,50}\b(conversation|chat history|history|api keys?|passwords?|credentials"
        r"|secrets?|tokens?|personal (data|details|information)|user'?s? (data|messages|details)"
        r"|all (the )?(data|emails|files)|environment variables)\b",
    ),
    "other_users_data": (
        1.0,
        r"\b(other|previous|all|every|another) (users?|customers?|people|clients|patients)('s?)?"
        r"\b[^.!?\n]{0,40}\b(emails?|e-mail addresses|phone numbers?|addresses|data|credit cards?"
        r"|personal|details|information|date of birth|ssn|passwords?|home address)\b"
        r"|\b(emails?|e-mail addresses|phone numbers?|(home )?address(es)?|credit card numbers?"
        r"|personal details|dates? of birth)\b[^.!?\n]{0,40}\b(other|previous|all|every)"
        r" (users?|customers?|people)\b",
    ),
    "stored_secrets": (
        1.0,
        r"\b(print|list|show|dump|reveal|give|tell)\b[^.!?\n]{0,20}\b(all|every|the)\b"
        r"[^.!?\n]{0,20}\b(credit card numbers?|passwords|api keys?|secrets|user data)\b"
        r"[^.!?\n]{0,30}\b(stored|in your|you have|you('ve)? seen|memory|context|access)\b",
    ),
    "markdown_exfil": (
        1.0,
        r"!\[[^\]]*\]\(\s*https?://[^)\s]*\?[^)\s]*=|https?://\S+[?&]\w+=\{",
    ),
    "decode_and_follow": (
        0.8,
        r"\b(decode|decrypt|translate|convert|unscramble|reverse)\b[^.!?\n]{0,40}\b(and|then)\b"
        r"[^.!?\n]{0,10}\b(follow|execute|do|obey|run|perform|act on|comply)\b"
        r"|\b(run|execute|follow|obey) this\s*:",
    ),
    "admin_claim": (
        0.5,
        r"\bi am (the |your |an? )?(developer|admin|administrator|creator|owner|operator"
        r"|engineer at openai)\b|\bauthori[sz]ed (override|user|red team)\b",
    ),
    "compliance_demand": (
        0.4,
        r"\b(comply|obey|do exactly what i say|you must answer|you have to answer"
        r"|unconditionally)\b",
    ),
    "jailbreak_word": (0.4, r"\bjailbr(eak|oken)\b|\bpwned\b|\bprompt injection\b"),
}
COMPILED = {name: (weight, re.compile(rx)) for name, (weight, rx) in PATTERNS.items()}


@dataclass(frozen=True)
class Verdict:
    score: float
    matched: tuple[str, ...]
    threshold: float
    probability: float | None = None  # the classifier's, when one ran
    model: str | None = None

    @property
    def is_attack(self) -> bool:
        return self.score >= self.threshold


# One pass over a view rules out most patterns: a pattern can only match where one of its
# anchor words occurs. Patterns with no anchor here always run.
PREFILTER = re.compile(
    r"ignor|disregard|forget|skip|bypass|overrid|overrul|neglect|abandon|drop|discard|aside"
    r"|throw|circumvent|void|new |updated|real |actual|revised|following|previous|prior"
    r"|earlier|original|initial|anything|dan\b|pretend|roleplay|role-play|act|play|becom"
    r"|simulat|imagin|from now|unfilter|uncensor|unrestrict|amoral|unethic|jailbr|unbound"
    r"|unchain|unlimit|evil|rogue|lawless|mode\b|bound|restrict|limit|constrain|govern|broke"
    r"|free|liberat|releas|escap|without|no |zero|any |ethic|moral|abide|follow|adhere|care"
    r"|respect|obey|no matter|regardless|irrespective|beyond|outside|unconstrain|take on"
    r"|embody|adopt|assum|named|called|swear|curse|hate|toxic|racis|sexis|slur|offend"
    r"|polic|guideline|filter|never|don't|do not|must not|cannot|can't|won't|will not"
    r"|shall not|rest of|you are now|character|stay as|two|both|2 |answer|respond|reply"
    r"|hypothetic|fiction|alternat|parallel|if you|reveal|show|print|output|display|repeat"
    r"|recit|tell|give|share|leak|dump|write|spell|copy|paste|summar|list|encod|translat"
    r"|what|describ|return|send|provid|expos|disclos|echo|reproduc|told|instruct|beginning"
    r"|start|<|\[/?inst|system|assistant|end of|ai|language model|llm|chatbot|model|gpt|bot"
    r"|agent|note|message|attention|dear|when|once|while|instead|stop|halt|forward|email"
    r"|post|upload|exfil|transmit|export|other|all |every|another|credit|password|api key"
    r"|secret|!\[|https?://|decod|decrypt|convert|unscrambl|revers|run|execut|i am"
    r"|authori|comply|unconditional|pwned|prompt injection|break|erase|clear|above|old"
    r"|you are|you're|you will be|censor|rules|principle|boundar|safeguard|do exactly"
)


def _scan(view: str) -> tuple[str, ...]:
    if not PREFILTER.search(view):
        return ()
    return tuple(name for name, (_, rx) in COMPILED.items() if rx.search(view))


def _patterns(readings: Sequence[str]) -> tuple[float, tuple[str, ...]]:
    best: tuple[float, tuple[str, ...]] = (0.0, ())
    for view in readings:
        matched = _scan(view)
        total = sum(COMPILED[name][0] for name in matched)
        if total > best[0]:
            best = (round(total, 3), matched)
    return best


def score_text(text: str) -> tuple[float, tuple[str, ...]]:
    """The pattern list alone: the highest view's summed weights and the patterns matched."""
    return _patterns(views(text))


def detect(
    text: str,
    *,
    threshold: float = 1.0,
    classifier: Classifier | None = None,
    model_threshold: float | None = None,
) -> Verdict:
    """Score a text's views with the patterns and, when given, the classifier.

    The classifier's probability adds ``probability / model_threshold`` (the model's own
    threshold unless one is given) to the pattern score.
    """
    readings = views(text)
    score, matched = _patterns(readings)
    if classifier is None:
        return Verdict(score, matched, threshold)
    probability = classifier.score(text, readings)
    limit = model_threshold or classifier.threshold
    score = round(score + probability / limit, 3)
    if probability >= limit:
        matched = (*matched, "classifier")
    return Verdict(score, matched, threshold, round(probability, 4), classifier.version)
