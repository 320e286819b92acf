"""The transform library for field mappings: steps such as 'trim' or 'phone: DE', and mapping rules.

Pure Python: the mapping models convert themselves into ``RuleSpec``. Parse once with
``compile_rules`` (or ``parse_chain``) and apply per record; the admin calls ``parse_chain`` or
``rule_errors`` on save so that a wrong rule is refused before it runs.
"""

from hub.mappings.transforms.base import (
    Step,
    TransformError,
    TransformInfo,
    TransformSyntaxError,
)
from hub.mappings.transforms.chain import TRANSFORMS, apply_chain, parse_chain, parse_step
from hub.mappings.transforms.rules import (
    CompiledMapping,
    CompiledRule,
    MappingResult,
    MappingSyntaxError,
    RuleSpec,
    apply_rules,
    compile_rules,
    rule_errors,
)

__all__ = [
    "TRANSFORMS",
    "CompiledMapping",
    "CompiledRule",
    "MappingResult",
    "MappingSyntaxError",
    "RuleSpec",
    "Step",
    "TransformError",
    "TransformInfo",
    "TransformSyntaxError",
    "apply_chain",
    "apply_rules",
    "compile_rules",
    "parse_chain",
    "parse_step",
    "rule_errors",
]
