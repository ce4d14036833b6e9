"""The models every claim builds from igclaim's own typed values, without validation (its claim lines, findings and
result): what `model_construct` does, at a fraction of its cost. Compiled with the core (mypyc): every claim builds
dozens of them. Never for input, which `model.py`'s validation reads."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
# Per model: its fields' defaults in the model's order, the default factories, the private attributes' defaults
# and the names of every field.
_Layout = tuple[dict[str, Any], tuple[tuple[str, Any], ...], dict[str, Any] | None, frozenset[str]]
_LAYOUTS: dict[type[BaseModel], _Layout] = {}


def _layout(cls: type[BaseModel]) -> _Layout:
    fields = cls.model_fields
    template = {name: None if f.is_required() or f.default_factory else f.default for name, f in fields.items()}
    factories = tuple((name, f.default_factory) for name, f in fields.items() if f.default_factory)
    private = {k: v.get_default() for k, v in cls.__private_attributes__.items()} or None
    layout = _LAYOUTS[cls] = (template, factories, private, frozenset(template))
    return layout


def trusted(cls: type[M], **values: Any) -> M:
    """An instance built from values igclaim's own typed code computed (claim lines, findings, the result), with no
    validation: what `model_construct` does (fields in their order, defaults, private attributes) at a fraction of
    its cost, because every claim builds dozens of these. Never for input; every required field must be given."""
    template, factories, private, _ = _LAYOUTS.get(cls) or _layout(cls)
    fields = {**template, **values}
    for name, factory in factories:
        if name not in values:
            fields[name] = factory()
    m = _new(cls)
    _set_dict(m, fields)
    _set_fields_set(m, set(values))
    _set_extra(m, None)
    _set_private(m, private.copy() if private else None)
    return m


def trusted_all(cls: type[M], fields: dict[str, Any], private: dict[str, Any] | None = None) -> M:
    """`trusted` for a caller that gives every field, in the model's order, in a dict of its own (a literal, written
    in that order), which the instance keeps: no merge with the defaults and no keyword arguments to collect, for
    the models every claim builds (findings, the result). `private`: the private attributes (default: theirs).
    The order matters (the JSON follows it): tests/test_model_trusted.py checks every caller's."""
    layout = _LAYOUTS.get(cls) or _layout(cls)
    m = _new(cls)
    _set_dict(m, fields)
    _set_fields_set(m, set(layout[3]))
    _set_extra(m, None)
    if private is None and layout[2] is not None:
        private = layout[2].copy()
    _set_private(m, private)
    return m


def assign(model: BaseModel, name: str, value: Any) -> None:
    """Set one field of a model to a value igclaim's own typed code computed (a line's price, a finding's dollars):
    what BaseModel.__setattr__ does for a model without validate_assignment (the value in __dict__, the name in the
    fields set), without its dispatch through Python handlers; every claim sets several. Never for input."""
    model.__dict__[name] = value
    model.__pydantic_fields_set__.add(name)


# BaseModel's slots, set through their descriptors (BaseModel.__setattr__ would validate): cheaper than
# object.__setattr__ by name, and every claim builds dozens of models this way.
_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
