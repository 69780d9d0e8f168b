"""The simulated model's skills: pure functions that read prompt text and write answers."""

from __future__ import annotations

import ast
import operator
import random
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

# ---------------------------------------------------------------- instructions

DIGITS_ONLY = re.compile(
    r"digits? only|only (?:the |a )?(?:digits?|numbers?|numerals?|result|answer)"
    r"|just (?:the |a )?(?:digits?|numbers?|result|answer)|numbers? only|nothing else"
    r"|no (?:other )?(?:words|text|explanation)",
    re.IGNORECASE,
)
ONE_WORD = re.compile(
    r"\b(?:one|single|1)[ -]word\b"
    r"|\b(?:only|just) (?:the|its|the one) (?:colou?r|name|word|value)\b"
    r"|\bwith (?:the|its|your) \w+ only\b",
    re.IGNORECASE,
)
QUOTED = r"[\"'“‘`](?P<x>[^\"'”’`\n]+)[\"'”’`]"
_TOKEN = r"[^\s,;]+"
_REPLY_VERB = r"\b(?:reply|respond|answer|say|output|return|write|print)\b"
_REPLY_QUOTED = re.compile(
    _REPLY_VERB + r"[^.!?\"'“‘`\n]{0,40}?(?:^|(?<=[\s:(]))" + QUOTED, re.IGNORECASE
)
_REPLY_BARE = re.compile(
    _REPLY_VERB
    + r"\s+(?:back\s+)?(?:with\s+)?(?:(?:exactly|only|just|precisely)\s*:?\s*|:\s*)"
    + r"(?:the\s+(?:word|phrase|text|string|token)\s+)?"
    + r"(?P<x>[^\s.,;!?]+(?:\s+[^\s.,;!?]+){0,3}?)"
    + r"\s*(?=$|[.!?](?:\s|$)|,|\s+and\s+nothing|\s+(?:only|exactly)\b)",
    re.IGNORECASE,
)
# Phrases after "reply with only …" that describe the answer rather than quote it.
_NOT_LITERAL = re.compile(
    r"(?:the|a|an|one|your|its)\b|digits?\b|numbers?\b|yes or no\b|true or false\b",
    re.IGNORECASE,
)


def literal_reply(prompt: str) -> str | None:
    """The exact text a "reply with exactly X" / "say 'X'" instruction asks for, if any."""
    for pattern in (_REPLY_QUOTED, _REPLY_BARE):
        match = pattern.search(prompt)
        if match and not _NOT_LITERAL.match(match.group("x")):
            return match.group("x").strip()
    return None


def count_up(prompt: str) -> str | None:
    """The numbers a "count from A to B" request asks for (at most a thousand)."""
    match = re.search(r"\bcount (?:from )?(-?\d+) (?:to|until|up to) (-?\d+)", prompt, re.I)
    if match is None:
        return None
    start, stop = int(match.group(1)), int(match.group(2))
    step = 1 if stop >= start else -1
    return " ".join(
        str(n) for n in range(start, start + step * min(abs(stop - start) + 1, 1000), step)
    )


# ---------------------------------------------------------------- conversation memory

_RECALL = re.compile(
    r"\b(?:what(?:'s|\s+is|\s+was|\s+are|\s+were)|tell me|remind me(?: of)?|do you remember"
    r"|can you recall|recall)\s+(?:what\s+)?(?:my|our)\s+(?P<key>[a-z][a-z' -]{0,40}?)"
    r"\s*(?=\?|$|[.,;!]|\s+(?:is|was|again|that|i\b))",
    re.IGNORECASE,
)
_STATEMENT = re.compile(
    r"\b(?:my|our)\s+(?P<key>[a-z][a-z' -]{0,40}?)\s+(?:is|are|was|will be)\s+"
    r"(?:called\s+|named\s+)?(?P<value>[^.,;!?\n]+?)"
    r"(?=\s*(?:$|[.,;!?\n]|\s+and\s|\s+so\s|\s+but\s|\s+please\b))",
    re.IGNORECASE,
)
_SPELLINGS = {"colour": "color", "favourite": "favorite", "favour": "favor", "surname": "last name"}

Facts = dict[str, tuple[str, str]]


def normalise_key(key: str) -> str:
    """A fact's key in one spelling ("favourite colour" and "favorite color" match)."""
    words = re.sub(r"[^a-z ]", " ", key.lower()).split()
    return " ".join(_SPELLINGS.get(word, word) for word in words)


def stated_facts(texts: Iterable[str]) -> Facts:
    """Facts stated as "my X is Y", keyed by the normalised X; later statements win."""
    facts: Facts = {}
    for text in texts:
        for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
            if sentence.rstrip().endswith("?"):
                continue
            for match in _STATEMENT.finditer(sentence):
                phrase = match.group("key").strip()
                facts[normalise_key(phrase)] = (phrase, match.group("value").strip())
    return facts


def recall_question(prompt: str) -> str | None:
    """What a "what is my X?" question asks about, if the prompt is one."""
    match = _RECALL.search(prompt)
    return match.group("key").strip() if match else None


def lookup_fact(facts: Mapping[str, tuple[str, str]], asked: str) -> tuple[str, str] | None:
    """The (phrase, value) of the fact that best answers a question about `asked`."""
    key = normalise_key(asked)
    if key in facts:
        return facts[key]
    # "What is my colour?" should find "my favourite colour is …".
    for stored, fact in reversed(list(facts.items())):
        if key and (key in stored or stored in key or key.split()[-1] == stored.split()[-1]):
            return fact
    return None


def number_or_text(value: str) -> Any:
    """An int or float when the text is a number, else the text."""
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


# ---------------------------------------------------------------- arithmetic

_WORD_OPERATORS = (
    (r"\bmultiplied by\b|\btimes\b|×|(?<=\d)\s*x\s*(?=\d)", "*"),
    (r"\bdivided by\b|÷", "/"),
    (r"\bplus\b", "+"),
    (r"\bminus\b", "-"),
)
# Possessive quantifiers and the lookbehind: a long run of digits or brackets is read once, from
# its start, never backtracked into nor tried again from each of its characters.
_EXPRESSION = re.compile(
    r"(?<![\d.(])(?:\(\s*+){0,20}+-?(?<![\d.])\d++(?:\.\d++)?(?:\s*+\)){0,20}+"
    r"(?:\s*+(?:\*\*|[-+*/%^])\s*+(?:\(\s*+){0,20}+-?\d++(?:\.\d++)?(?:\s*+\)){0,20}+)++"
)
# Bounds that keep every answer quick, whatever the prompt: a model does not write out a
# number of more than a few hundred digits, and neither does the stand-in compute one.
MAX_EXPRESSION_CHARS = 200
MAX_PROMPT_CHARS = 10_000  # arithmetic is looked for in the start of a prompt only
MAX_RESULT_DIGITS = 300
_MAX_RESULT_BITS = int(MAX_RESULT_DIGITS * 3.33) + 1


class TooLarge(ValueError):
    """An arithmetic result (or operand) too large to compute and write out."""


_MATH_CUE = re.compile(
    r"\b(?:what(?:'s| is)|calculate|compute|evaluate|solve|how much|sum|product|result)\b"
    r"|[+*/×÷=]|\b(?:plus|minus|times|divided)\b",
    re.IGNORECASE,
)
_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


def find_arithmetic(prompt: str) -> tuple[str, float | TooLarge | None] | None:
    """The first arithmetic expression in the prompt and its value.

    The value is None for a division by zero and a `TooLarge` when the result would have more
    than `MAX_RESULT_DIGITS` digits (it is never computed: no prompt can block the server).
    """
    text = prompt[:MAX_PROMPT_CHARS]
    if not _MATH_CUE.search(text):
        return None
    for pattern, symbol in _WORD_OPERATORS:
        text = re.sub(pattern, f" {symbol} ", text, flags=re.IGNORECASE)
    text = re.sub(
        r"\b(sum|product) of (-?\d+(?:\.\d+)?) and (-?\d+(?:\.\d+)?)",
        lambda m: f"{m.group(2)} {'+' if m.group(1).lower() == 'sum' else '*'} {m.group(3)}",
        text,
        flags=re.IGNORECASE,
    )
    for match in _EXPRESSION.finditer(text):
        expression = " ".join(match.group(0).split())
        if expression.count("(") != expression.count(")"):
            expression = expression.strip("() ")
        if len(expression) > MAX_EXPRESSION_CHARS:
            return expression[:MAX_EXPRESSION_CHARS] + "…", TooLarge("the expression is too long")
        try:
            value = _evaluate(ast.parse(expression.replace("^", "**"), mode="eval").body)
        except ZeroDivisionError:
            return expression, None
        except (TooLarge, OverflowError) as exc:
            return expression, exc if isinstance(exc, TooLarge) else TooLarge("it overflows")
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
        return expression, value
    return None


def _evaluate(node: ast.AST) -> float:
    """Evaluate a parsed expression of numbers and + - * / % ** only."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluate(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow):
            _check_power(left, right)
        return _bounded(_BINARY[type(node.op)](left, right))
    raise ValueError("not plain arithmetic")


def _check_power(base: float, exponent: float) -> None:
    """Refuse, before computing it, a power of integers whose result would be too large.

    A float power is quick whatever its size (it overflows at once); an integer one is not.
    """
    integers = isinstance(base, int) and isinstance(exponent, int)
    if integers and exponent > 0 and (abs(base).bit_length() - 1) * exponent > _MAX_RESULT_BITS:
        raise TooLarge("the result has too many digits")


def _bounded(value: Any) -> Any:
    if isinstance(value, int) and value.bit_length() > _MAX_RESULT_BITS:
        raise TooLarge("the result has too many digits")
    if isinstance(value, complex):  # a negative number to a fractional power
        raise ValueError("not a real number")
    return value


def format_number(value: float) -> str:
    """A number as a person would write it: no ".0" on whole numbers."""
    if isinstance(value, int):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e16:
        return str(int(value))
    return f"{value:.6g}"


# ---------------------------------------------------------------- tools

_STOPWORDS = frozenset({
    "a", "an", "the", "of", "to", "for", "in", "on", "at", "by", "and", "or", "is", "are", "be",
    "it", "this", "that", "with", "from", "get", "set", "use", "call", "tool", "function",
    "please", "me", "my", "your", "what", "which", "who", "how", "can", "you", "i", "do",
    "does", "current",
})  # fmt: skip


def _words(text: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    words = re.findall(r"[a-z0-9]+", spaced.lower())
    return {w.removesuffix("s") if len(w) > 3 else w for w in words} - _STOPWORDS


def choose_tool(
    prompt: str, tools: list[dict[str, Any]], choice: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The tool the prompt asks for (or toolChoice forces), or None when prose fits better."""
    if "tool" in choice:
        wanted = choice["tool"].get("name")
        return next((tool for tool in tools if tool.get("name") == wanted), None)
    prompt_words = _words(prompt)
    best, best_score = None, 0
    for tool in tools:
        name = tool.get("name", "")
        score = 2 * len(_words(name) & prompt_words)
        score += len(_words(tool.get("description", "")) & prompt_words)
        if name.lower() in prompt.lower():
            score += 5
        if score > best_score:
            best, best_score = tool, score
    if best is not None and best_score >= 2:
        return best
    if "any" in choice or re.search(r"\buse (?:the|a|your) tools?\b", prompt, re.IGNORECASE):
        return tools[0]
    return None


def tool_arguments(prompt: str, tool: Mapping[str, Any]) -> dict[str, Any]:
    """Fill the tool's input schema with values taken from the prompt."""
    schema = (tool.get("inputSchema") or {}).get("json") or {}
    properties: Mapping[str, Any] = schema.get("properties") or {}
    required = list(schema.get("required") or [])
    candidates = _string_candidates(prompt, tool.get("name", ""))
    numbers = [number_or_text(n) for n in re.findall(r"-?\d+(?:\.\d+)?", prompt)]
    arguments: dict[str, Any] = {}
    for name in [*required, *[p for p in properties if p not in required]]:
        value = _argument(prompt, name, properties.get(name) or {}, candidates, numbers)
        if value is not None or name in required:
            arguments[name] = value if value is not None else ""
    return arguments


def _argument(
    prompt: str, name: str, spec: Mapping[str, Any], candidates: list[str], numbers: list[Any]
) -> Any:
    kind = spec.get("type", "string")
    if spec.get("enum"):
        options = [str(option) for option in spec["enum"]]
        mentioned = [o for o in options if re.search(rf"\b{re.escape(o)}\b", prompt, re.I)]
        return (mentioned or options)[0]
    if kind in ("integer", "number"):
        if not numbers:
            return None
        value = numbers.pop(0)
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return not re.search(r"\b(?:no|not|false|disable)\b", prompt, re.IGNORECASE)
    if kind == "array":
        return candidates[:1]
    if kind == "object":
        return {}
    label = re.escape(name.replace("_", " "))
    stated = re.search(rf"\b{label}\s*(?:is|=|:)\s*[\"'“]?([^\"'”,.;?!]+)", prompt, re.I)
    if stated:
        return stated.group(1).strip()
    return candidates.pop(0) if candidates else None


def _string_candidates(prompt: str, tool_name: str) -> list[str]:
    """Likely string arguments in order: quoted text, then proper nouns and codes."""
    found = [m.group("x") for m in re.finditer(QUOTED, prompt)]
    skip = _words(tool_name) | {"i", "what", "use", "please", "call", "tell"}
    proper = re.finditer(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)", prompt)
    for match in proper:
        phrase = match.group(1)
        if phrase.lower() not in skip and phrase not in found:
            found.append(phrase)
    after_preposition = re.search(
        r"\b(?:in|for|of|about|at|named|called)\s+([A-Za-z][\w'-]*(?:\s+[A-Z][\w'-]*)*)", prompt
    )
    if after_preposition and after_preposition.group(1) not in found:
        found.append(after_preposition.group(1))
    return found


# ---------------------------------------------------------------- JSON

_NUMERIC_WORDS = frozenset({
    "age", "count", "year", "number", "total", "quantity", "amount", "price", "score", "size",
    "id", "population",
})  # fmt: skip
_BOOLEAN_WORDS = frozenset(["enabled", "active", "valid", "ok", "available"])
_LIST_WORDS = frozenset(["list", "items", "tags", "values", "names", "keywords"])
_SAMPLE_VALUES = {
    "name": "Ada Lovelace",
    "city": "Lisbon",
    "country": "Portugal",
    "colour": "teal",
    "color": "teal",
    "email": "ada@example.com",
    "status": "ok",
    "language": "English",
    "title": "Example title",
    "description": "A short description.",
}


def wants_json(prompt: str) -> bool:
    """True when the prompt asks for JSON."""
    return re.search(r"\bjson\b", prompt, re.IGNORECASE) is not None


def json_keys(prompt: str) -> list[str]:
    """The keys a "JSON object with keys a, b and c" request names."""
    listed = re.search(
        r"\b(?:keys?|fields?|properties|attributes)\b\s*(?:named|called|:)?\s*(?P<list>.+?)"
        r"(?:[.;!?]|$)",
        prompt,
        re.IGNORECASE,
    )
    if listed is None:
        return []
    quoted = re.findall(r"[\"'`“]([A-Za-z_][\w-]*)[\"'`”]", listed.group("list"))
    if quoted:
        return list(dict.fromkeys(quoted))
    parts = re.split(r",|\band\b|\bor\b", listed.group("list"))
    keys = [part.strip().split()[0] for part in parts if part.strip()]
    return [key for key in dict.fromkeys(keys) if re.fullmatch(r"[A-Za-z_][\w-]*", key)]


def json_value(key: str, prompt: str, facts: Facts, rng: random.Random) -> Any:
    """A value for one requested key: stated in the conversation, or plausible for its name."""
    fact = facts.get(normalise_key(key))
    if fact is not None:
        return number_or_text(fact[1])
    stated = re.search(
        rf"\b{re.escape(key)}\b\s*(?:is|=|:|of|should be)\s*[\"'“]?([\w.@ -]+?)[\"'”]?"
        r"(?:[,.;]|\s+and\b|$)",
        prompt,
        re.IGNORECASE,
    )
    if stated:
        return number_or_text(stated.group(1).strip())
    words = re.sub(r"([a-z])([A-Z])", r"\1 \2", key).lower().replace("_", " ").split()
    named = re.search(r"\b(?:named|called)\s+([A-Z][\w'-]*)", prompt)
    if "name" in words and named:
        return named.group(1)
    if set(words) & _NUMERIC_WORDS:
        # "a person who is 31" gives the age; with no number in sight, make one up.
        numbers = re.findall(r"\b\d+(?:\.\d+)?\b", prompt)
        return number_or_text(numbers[0]) if len(numbers) == 1 else rng.randint(1, 99)
    if words and (words[0] in ("is", "has", "can") or words[-1] in _BOOLEAN_WORDS):
        return True
    if words and words[-1] in _LIST_WORDS:
        return ["alpha", "beta"]
    return _SAMPLE_VALUES.get(key.lower(), f"example {key}")


# ---------------------------------------------------------------- prose

_OPENINGS = (
    "Here is a short overview of {topic}.",
    "Good question about {topic}.",
    "Let me explain {topic} briefly.",
    "There are a few things worth knowing about {topic}.",
)
_BODIES = (
    "The key idea is to understand what problem it solves, how it fits into the wider system, "
    "and which trade-offs it brings.",
    "It helps to separate the goal from the mechanism: decide first what a good outcome looks "
    "like, then compare the options against it.",
    "Most teams find that clear requirements, small experiments and honest measurement matter "
    "more than the choice of any single tool.",
    "In practice, start with the simplest approach that meets your needs, measure how it "
    "behaves, and refine it step by step.",
    "Keep an eye on cost, reliability and maintainability, because each of them tends to "
    "dominate at a different stage of a project.",
    "Documentation and automated checks make the result easier to trust and to change later.",
)
_CLOSINGS = (
    "If you share more about your context, I can go into more detail.",
    "Let me know if you would like an example.",
    "I hope this helps you get started.",
)


def topic_of(prompt: str) -> str:
    """What the prompt's first sentence is about, in at most eight words."""
    sentence = re.split(r"(?<=[.?!])\s", prompt.strip(), maxsplit=1)[0]
    text = re.sub(
        r"^\s*(?:please\s+)?(?:can you\s+|could you\s+)?(?:explain|describe|tell me(?: about)?|"
        r"write\b[^.?!]{0,60}?\babout|what(?:'s| is| are)|summari[sz]e|discuss|name|list|"
        r"give me)\s+",
        "",
        sentence,
        flags=re.IGNORECASE,
    )
    words = re.sub(r"[?.!]+$", "", text.strip()).split()
    if words and not words[0].isupper():
        words[0] = words[0][:1].lower() + words[0][1:]
    return " ".join(words[:8])


def greeting(prompt: str) -> str | None:
    """A reply to a greeting, if the prompt is one."""
    if re.match(r"\s*(hi|hello|hey|good (morning|afternoon|evening))\b", prompt, re.I):
        return "Hello! How can I help you today?"
    return None


def generic_answer(prompt: str, rng: random.Random) -> str:
    """A plausible paragraph about the prompt's topic (longer when asked for detail)."""
    if not prompt:
        return "Could you tell me a little more about what you need?"
    topic = topic_of(prompt) or "your question"
    if re.search(r"\b(?:one sentence|briefly|brief|short|concise)\b", prompt, re.IGNORECASE):
        return f"In short, {topic} is best understood by looking at the problem it solves."
    long = re.search(r"\b(?:long|detailed|essay|story|in detail|paragraphs)\b", prompt, re.I)
    bodies = rng.sample(_BODIES, k=len(_BODIES) if long else 3)
    opening, closing = rng.choice(_OPENINGS), rng.choice(_CLOSINGS)
    paragraph = " ".join([opening.format(topic=topic), *bodies, closing])
    return f"{paragraph}\n\n{paragraph}" if long else paragraph


# ---------------------------------------------------------------- system prompt rules

_MARKER = (
    r"(?:the\s+(?:marker|word|text|phrase|prefix|suffix|string|tag|token)\s+)?"
    rf"(?:{QUOTED}|(?P<bare>{_TOKEN}))"
)
_START_RULE = re.compile(
    r"\b(?:start|begin|prefix|open)\w*\b[^.!?\n]{0,60}?\bwith\s+" + _MARKER, re.IGNORECASE
)
_END_RULE = re.compile(
    r"\b(?:end|finish|close|terminate|suffix)\w*\b[^.!?\n]{0,60}?\bwith\s+" + _MARKER,
    re.IGNORECASE,
)
_INCLUDE_RULE = re.compile(
    r"\b(?:include|mention|contain|use)s?\b\s+(?:the\s+(?:word|marker|phrase|text|string|token)\s+)"
    rf"(?:{QUOTED}|(?P<bare>{_TOKEN}))",
    re.IGNORECASE,
)
_UPPERCASE_RULE = re.compile(r"\b(?:all caps|all capitals|upper ?case|capital letters)\b", re.I)


def _marker(match: re.Match[str] | None) -> str | None:
    if match is None:
        return None
    if match.group("bare"):
        # A bare marker at the end of a sentence carries the sentence's full stop.
        return match.group("bare").rstrip(".,;:!?)")
    return match.group("x")


def apply_system_rules(text: str, system: str) -> str:
    """Obey the simple, checkable rules a system prompt sets (prefix, suffix, word, case)."""
    if _UPPERCASE_RULE.search(system):
        text = text.upper()
    for match in _INCLUDE_RULE.finditer(system):
        word = _marker(match)
        if word and word.lower() not in text.lower():
            text = f"{text} ({word})"
    start = _marker(_START_RULE.search(system))
    if start and not text.startswith(start):
        text = f"{start} {text}"
    end = _marker(_END_RULE.search(system))
    if end and not text.endswith(end):
        text = f"{text} {end}"
    return text
