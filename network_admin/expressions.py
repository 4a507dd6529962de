"""Query expressions written as SQL, for subqueries Django would otherwise build and compile on
every page view that asks for them."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from operator import itemgetter

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone


def _model(model):
    """`model`, given as a model or as an "app_label.Model" label (for a model whose module
    imports the caller's)."""
    return apps.get_model(model) if isinstance(model, str) else model


def _table_and_columns(connection, meta):
    """`meta`'s quoted table, and a function from a field's name to its quoted, qualified
    column: SQL written from our own models' names only."""
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    return table, lambda name: f"{table}.{quote(meta.get_field(name).column)}"


class RelatedAggregate(models.Func):
    """`function` ("COUNT", "SUM", "MAX") of `column` (of every row when None) over the rows of
    `model` (a model or an "app_label.Model" label) whose foreign key `field` points at the row
    whose primary key is the expression, and whose columns equal `where`'s values: one
    correlated subquery, NULL where SQL's aggregate of no rows is.

    Written from the models' names: the same subquery as a `Subquery` of an annotated queryset
    cost Django 0.3-0.7 ms to build and compile on every page that asks for it (the customer
    list's membership counts; what payments kept after their refunds, on the customer and
    membership pages; the membership page's add-on lines); this formats a string.
    """

    arity = 1

    def __init__(
        self, expression, *, model, field, function, output_field, column=None, where=None
    ):
        super().__init__(expression, output_field=output_field)
        self.related_model, self.foreign_key, self.function = model, field, function
        self.aggregated_column, self.where = column, where or {}

    def as_sql(self, compiler, connection, **extra_context):
        pk_sql, params = compiler.compile(self.source_expressions[0])
        meta = _model(self.related_model)._meta
        table, column = _table_and_columns(connection, meta)
        conditions, values = [f"{column(self.foreign_key)} = {pk_sql}"], []
        for name, value in self.where.items():
            if hasattr(value, "as_sql"):  # an expression, such as a prepared statement's Param
                value_sql, value_params = compiler.compile(value)
            else:
                value_sql, value_params = (
                    "%s",
                    [meta.get_field(name).get_db_prep_value(value, connection)],
                )
            conditions.append(f"{column(name)} = {value_sql}")
            values.extend(value_params)
        aggregated = column(self.aggregated_column) if self.aggregated_column else "*"
        # Only quoted names of our own models and a compiled column: values are parameters.
        rows = f"FROM {table} WHERE {' AND '.join(conditions)}"  # noqa: S608
        return f"(SELECT {self.function}({aggregated}) {rows})", [*params, *values]


class InlinedValue(models.Value):
    """A value written into the statement's text on PostgreSQL (quoted by psycopg) rather than
    sent beside it as a parameter; a plain `Value` elsewhere. For one of a few values of a column
    whose values are far from equally common (an event's severity).

    A statement a connection runs often is prepared (settings.DB_PREPARED_STATEMENTS), and after
    five runs PostgreSQL may keep one generic plan for every value of its parameters, planned as
    if each value were as common as the average. For a rare value that plan walks the wrong
    index: the events list's last page of errors (1.5 % of 11 million events) walked the oldest
    events one by one, 235 ms a page, against 9.5 ms with "error" planned for itself. In the
    text, each value is its own statement with its own plan; a few values make a few
    statements.
    """

    def as_sql(self, compiler, connection):
        sql, params = super().as_sql(compiler, connection)
        if connection.vendor != "postgresql":
            return sql, params
        return connection.ops.compose_sql(sql, params), []


class RelatedRows(models.Func):
    """The first `limit` rows, in its Meta.ordering, of `model` (a model or an
    "app_label.Model" label) whose foreign key `field` points at the row whose primary key is
    the expression: a list of that model's instances, read in the statement that reads the row.

    For a page that shows a few rows of each of several tables beside one object: each list
    read in its own statement is one more round trip to the database and one more statement
    to build, send and plan. Here the rows travel as one JSON array, each row an array of its
    columns and its place in the ordering (SQL does not promise an aggregate's input order).
    """

    arity = 1
    # (aggregate of rows, array of columns) by database. PostgreSQL aggregates no rows to NULL.
    json_functions = {
        "postgresql": ("JSON_AGG", "JSON_BUILD_ARRAY"),
        "sqlite": ("JSON_GROUP_ARRAY", "JSON_ARRAY"),
    }

    def __init__(self, expression, *, model, field, limit: int):
        model = _model(model)
        ordering = model._meta.ordering
        if not ordering or not all(isinstance(name, str) for name in ordering):
            raise ValueError(f"{model.__name__}'s first rows need a Meta.ordering of field names.")
        super().__init__(expression, output_field=RelatedRowsField(model))
        self.foreign_key, self.limit = field, limit

    def as_sql(self, compiler, connection, **extra_context):
        pk_sql, params = compiler.compile(self.source_expressions[0])
        meta = self.output_field.related_model._meta
        table, column = _table_and_columns(connection, meta)
        ordering = ", ".join(
            column(name.lstrip("-")) + (" DESC" if name.startswith("-") else " ASC")
            for name in meta.ordering
        )
        # Cells are named by position: a derived table's column names are the database's own.
        selected = [_cell_sql(field, column(field.name)) for field in meta.concrete_fields]
        selected.append(f"ROW_NUMBER() OVER (ORDER BY {ordering})")
        cells = [f"c{number}" for number in range(len(selected))]
        named = ", ".join(f"{sql} AS {cell}" for sql, cell in zip(selected, cells, strict=True))
        aggregate, array = self.json_functions[connection.vendor]
        # Only quoted names of our own models, a compiled column and an integer: no values.
        newest = (
            f"SELECT {named} "  # noqa: S608
            f"FROM {table} WHERE {column(self.foreign_key)} = {pk_sql} "
            f"ORDER BY {ordering} LIMIT {int(self.limit)}"
        )
        rows = f"SELECT {aggregate}({array}({', '.join(cells)})) FROM ({newest}) AS newest"  # noqa: S608
        return f"CAST(COALESCE(({rows}), '[]') AS TEXT)", params


class RelatedRowsField(models.Field):
    """The output of `RelatedRows`: its JSON read back into model instances, each value as its
    field reads it from a form (JSON has no dates), timezone-aware as read from the database;
    a JSON column's as the ORM reads it."""

    def __init__(self, related_model, **kwargs):
        super().__init__(**kwargs)
        self.related_model = related_model

    def from_db_value(self, value, expression, connection):
        fields = self.related_model._meta.concrete_fields
        names = [field.attname for field in fields]
        # Each row: its columns, then its place in the ordering.
        rows = sorted(json.loads(value, parse_float=Decimal), key=itemgetter(-1))
        return [
            self.related_model.from_db(
                connection.alias,
                names,
                [
                    _cell_value(f, cell, connection)
                    for f, cell in zip(fields, row[:-1], strict=True)
                ],
            )
            for row in rows
        ]


def _cell_sql(field, column_sql: str) -> str:
    # A JSON column travels as its text (PostgreSQL would nest it in the array, SQLite quote
    # it), to be parsed as the ORM parses it: the array's own parser reads numbers as Decimal.
    if isinstance(field, models.JSONField):
        return f"CAST({column_sql} AS TEXT)"
    return column_sql


def _cell_value(field, cell, connection):
    if isinstance(field, models.JSONField):
        return field.from_db_value(cell, None, connection)
    value = None if cell is None else field.to_python(cell)
    if isinstance(value, datetime) and settings.USE_TZ and timezone.is_naive(value):
        # SQLite keeps datetimes as UTC without an offset.
        return timezone.make_aware(value, UTC)
    return value
