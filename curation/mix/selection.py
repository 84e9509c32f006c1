"""Metadata conditions evaluated on Arrow record batches: which rows a source's include/exclude rules select.

Conditions work on whole columns with ``pyarrow.compute`` (no Python object per document), so selecting
among millions of documents costs what reading their metadata columns costs. A missing value never meets a
condition, except that a boolean condition reads a missing value as false (``synthetic: false`` selects
documents without a ``synthetic`` column too).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.mix.model import Range, Selection

Scalar = str | int | float | bool


class SelectionTypeError(ValueError):
    """A condition's values cannot be compared with the column they name (say text against integers)."""


@dataclass(frozen=True)
class Condition:
    """One column test: membership in ``values``, a ``[low, high)`` range, or equality to a boolean."""

    column: str
    values: tuple[Scalar, ...] = ()
    low: float | None = None
    high: float | None = None
    flag: bool | None = None
    field: str = ""
    """Where the condition came from in the mixture file (for error messages)."""

    def mask(self, batch: pa.RecordBatch | pa.Table) -> np.ndarray:
        """A boolean array, one entry per row: does the row meet the condition?"""
        rows = batch.num_rows
        if self.column not in batch.schema.names:
            return np.full(rows, self.flag is False)
        column = batch.column(self.column)
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        if self.flag is not None:
            try:
                as_bool = pc.fill_null(column.cast(pa.bool_()), False)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
                raise SelectionTypeError(
                    f"{self.field}: column {self.column!r} holds {column.type}, which cannot be read as true/false"
                ) from error
            result = as_bool if self.flag else pc.invert(as_bool)
        elif self.values:
            result = pc.is_in(column, value_set=self._value_set(column.type))
        else:
            if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
                raise SelectionTypeError(
                    f"{self.field}: column {self.column!r} holds {column.type}; a score range needs numbers"
                )
            result = None
            if self.low is not None:
                result = pc.greater_equal(column, self.low)
            if self.high is not None:
                upper = pc.less(column, self.high)
                result = upper if result is None else pc.and_(result, upper)
        return np.asarray(pc.fill_null(result, False), dtype=bool)

    def _value_set(self, column_type: pa.DataType) -> pa.Array:
        try:
            return pa.array(list(self.values)).cast(column_type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
            raise SelectionTypeError(
                f"{self.field}: values {list(self.values)!r} cannot be compared with column {self.column!r} "
                f"({column_type})"
            ) from error


@dataclass(frozen=True)
class CompiledSelection:
    """A source's rules: a row is selected when every include condition holds and no exclude condition does."""

    include: tuple[Condition, ...]
    exclude: tuple[Condition, ...]

    @property
    def columns(self) -> set[str]:
        return {condition.column for condition in (*self.include, *self.exclude)}

    def mask(self, batch: pa.RecordBatch | pa.Table) -> np.ndarray:
        selected = np.ones(batch.num_rows, dtype=bool)
        for condition in self.include:
            selected &= condition.mask(batch)
        for condition in self.exclude:
            if selected.any():
                selected &= ~condition.mask(batch)
        return selected


def compile_conditions(
    selection: Selection, quality_column: str, tiers: Mapping[str, Range], field: str, *, any_of: bool
) -> tuple[Condition, ...]:
    """Turn one ``include`` (all must hold) or ``exclude`` (any one removes) block into conditions.

    Several quality tiers in one block mean "any of these tiers": ``include`` merges them into one range
    (so they must touch, which the loader checks), ``exclude`` keeps one condition per tier.
    """
    conditions: list[Condition] = []
    if selection.quality is not None:
        conditions.append(_range(quality_column, selection.quality, f"{field}.quality"))
    if selection.quality_tier:
        ranges = [tiers[name] for name in selection.quality_tier]
        if any_of:
            conditions += [_range(quality_column, r, f"{field}.quality_tier") for r in ranges]
        else:
            conditions.append(_range(quality_column, merge_ranges(ranges, f"{field}.quality_tier"), field))
    for column, values in selection.columns.items():
        where = f"{field}.{column}"
        if len(values) == 1 and isinstance(values[0], bool):
            conditions.append(Condition(column, flag=values[0], field=where))
        else:
            conditions.append(Condition(column, values=tuple(values), field=where))
    return tuple(conditions)


def merge_ranges(ranges: list[Range], field: str) -> Range:
    """Tiers listed together in ``include`` must form one unbroken range (they are ORed)."""
    ordered = sorted(ranges, key=lambda r: -np.inf if r.min is None else r.min)
    merged = ordered[0]
    for nxt in ordered[1:]:
        if merged.max is None or nxt.min is None or nxt.min > merged.max:
            raise ValueError(f"{field}: the tiers listed leave a gap; list adjacent tiers or use quality: {{min, max}}")
        upper = None if merged.max is None or nxt.max is None else max(merged.max, nxt.max)
        merged = Range(min=merged.min, max=upper)
    return merged


def _range(column: str, bounds: Range, field: str) -> Condition:
    return Condition(column, low=bounds.min, high=bounds.max, field=field)
