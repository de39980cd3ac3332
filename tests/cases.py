"""The supported answer combinations the render matrix covers, with readable ``key=value`` ids.

Every preset, then one option at a time on top of the default preset. Add a case here when a
question or a choice arrives; add the combinations that must fail to ``tests/test_bad_answers.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_PRESET = "minimal"
ALL_PROVIDERS = ("openai", "anthropic", "azure_openai", "bedrock", "gemini", "ollama")
#: Every preset in presets/ is rendered and checked, so a new preset is covered on arrival.
PRESET_NAMES = tuple(
    sorted(path.stem for path in (Path(__file__).parents[1] / "presets").glob("*.yml"))
)


@dataclass(frozen=True)
class Case:
    """One rendering: a preset plus overrides."""

    id: str
    preset: str = DEFAULT_PRESET
    data: dict[str, Any] = field(default_factory=dict)


CASES: tuple[Case, ...] = (
    *(Case(id=f"preset={name}", preset=name) for name in PRESET_NAMES),
    Case(id="python_version=3.11", data={"python_version": "3.11"}),
    Case(id="python_version=3.13", data={"python_version": "3.13"}),
    Case(id="database=postgres", data={"database": "postgres"}),
    Case(id="cache_backend=redis", data={"cache_backend": "redis"}),
    *(
        Case(id=f"llm_providers={provider}", data={"llm_providers": [provider]})
        for provider in ("anthropic", "azure_openai", "bedrock", "gemini", "ollama")
    ),
    Case(id="llm_providers=openai,ollama", data={"llm_providers": ["openai", "ollama"]}),
    Case(id="llm_providers=all", data={"llm_providers": list(ALL_PROVIDERS)}),
    Case(id="feature_flags=flagd", data={"feature_flags": "flagd"}),
    Case(id="cache_backend=redis", data={"cache_backend": "redis"}),
    Case(id="tracing=true", data={"tracing": True}),
    # Access and compliance: the presets cover api_key_and_oidc (okta, keycloak), oidc (entra),
    # hipaa, gdpr and soc2 on PostgreSQL; these add the other modes on the default SQLite.
    Case(id="auth=oidc", data={"auth": "oidc"}),
    Case(id="multi_tenant=false", data={"multi_tenant": False}),
    Case(id="compliance=pci_dss", data={"compliance": ["pci_dss"]}),
)

CASE_IDS = [case.id for case in CASES]

#: The delivery answers in every combination (kubernetes needs PostgreSQL). They change no Python
#: code, so they get the file checks and the delivery validators only (tests/test_render.py file
#: checks, tests/test_delivery.py), not a lint and test run of their own.
DELIVERY_COMBINATIONS: tuple[Case, ...] = tuple(
    Case(
        id=f"ci_provider={ci},deploy_target={target}"
        + (",database=postgres" if target == "kubernetes" else ""),
        data={"ci_provider": ci, "deploy_target": target}
        | ({"database": "postgres"} if target == "kubernetes" else {}),
    )
    for ci in ("github", "gitlab")
    for target in ("compose", "kubernetes")
)
#: Kubernetes with every provider's secrets and the shared Redis cache (network policy, Secret
#: references); the Python side of these answers is covered by the cases above.
DELIVERY_COMBINATIONS += (
    Case(
        id="deploy_target=kubernetes,database=postgres,cache_backend=redis,llm_providers=all",
        data={
            "deploy_target": "kubernetes",
            "database": "postgres",
            "cache_backend": "redis",
            "llm_providers": list(ALL_PROVIDERS),
        },
    ),
)
DELIVERY_CASES: tuple[Case, ...] = CASES + DELIVERY_COMBINATIONS
DELIVERY_CASE_IDS = [case.id for case in DELIVERY_CASES]
