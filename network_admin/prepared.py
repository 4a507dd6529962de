"""Querysets built and compiled to SQL once per process, then run with new values.

Django builds a queryset and compiles it to SQL on every run, even when only its values change
from one page view to the next. For the statements the customer and membership pages run on
every view, that was more of the page's time than the database's answer: the membership
page's payment summary took 1.1 ms to build and 3.2 ms to compile against 0.4 ms to run
(docs/performance.md, eighteenth pass).

    @prepared
    def newest_sites():
        return Site.objects.filter(membership=Param("membership", models.BigIntegerField()))

    sites = list(newest_sites(membership=membership.pk))

The function runs once for each set of its own arguments (part of the statement: a limit, a
choice of columns), and what it returns is compiled once per database. Each call gives a
queryset of that statement with the Params' values, read by Django as it reads any queryset
(its instances, related objects, annotations and the fields' own conversions).

Every other value that differs between runs must be a `Param`: anything else the function
reads, and anything the SQL is written from (the time, the active time zone, the language), is
the first run's. The queryset a call returns can be read, not changed, counted or put in
another: each of those compiles a new statement, and asking raises TypeError.
"""

import copy
from collections.abc import Callable

from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models.sql import Query
from django.http import Http404


class _Slot:
    """Where a `Param`'s value goes among the compiled statement's parameters."""

    def __init__(self, param: "Param"):
        self.name, self.field = param.name, param.output_field


class Param(models.Expression):
    """A value of a `prepared` queryset, given each time it runs, of type `output_field`."""

    def __init__(self, name: str, output_field: models.Field):
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler, connection):
        return "%s", [_Slot(self)]


# The Param of a statement that reads one row by its primary key (see `Prepared.one_or_404`).
PRIMARY_KEY = Param("pk", models.BigIntegerField())


class _PreparedQuery(Query):
    """The query of a queryset a `Prepared` call returned: compiled once, run with `values`."""

    prepared: "Prepared"
    arguments: tuple
    values: dict

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        using = using or connection.alias
        template, sql, params = self.prepared.compiled(self.arguments, using)
        compiler = copy.copy(template)
        compiler.connection = connections[using]
        # Django's iterables read the statement through as_sql, and its columns, related
        # objects and conversions from what the first compile set up on the compiler.
        compiler.as_sql = lambda with_limits=True, with_col_aliases=False: (
            sql,
            tuple(self._bind(param, compiler.connection) for param in params),
        )
        return compiler

    def _bind(self, param, connection):
        if not isinstance(param, _Slot):
            return param
        if param.name not in self.values:
            raise TypeError(f"{self.prepared}: no value for Param {param.name!r}.")
        value = param.field.get_db_prep_value(self.values[param.name], connection)
        if _out_of_range(param.field, value, connection):
            # No row holds a number its column can't (a URL's id of 2**63, say): nothing
            # matches, as with Django's own lookups, rather than the database's overflow error.
            raise EmptyResultSet
        return value

    def clone(self):
        # Every change, count or subquery of a queryset starts from a copy of its query.
        raise TypeError(f"{self.prepared} is compiled once: build the change into it.")


def _out_of_range(field: models.Field, value, connection) -> bool:
    if value is None or not isinstance(field, models.IntegerField):
        return False
    low, high = connection.ops.integer_field_range(field.get_internal_type())
    return (low is not None and value < low) or (high is not None and value > high)


class Prepared:
    """What `prepared` makes of a function that builds a queryset from `Param`s."""

    def __init__(self, build: Callable[..., models.QuerySet]):
        self.build = build
        self._querysets = {}
        self._compiled = {}

    def __str__(self):
        return f"prepared queryset {self.build.__qualname__}"

    def __call__(self, *arguments, **values) -> models.QuerySet:
        """The statement `build(*arguments)` returned, run with the Params' `values`."""
        if arguments not in self._querysets:
            self._querysets[arguments] = self.build(*arguments)
        queryset = self._querysets[arguments].all()
        # The copy all() made is this queryset's own: made a prepared query in place, as
        # Query.chain(klass) does with a copy of its own.
        query = queryset.query
        query.__class__ = _PreparedQuery
        query.prepared, query.arguments, query.values = self, arguments, values
        return queryset

    def one_or_404(self, *arguments, **values) -> models.Model:
        """The row of a statement that reads one row by its key (`pk=PRIMARY_KEY`, say), or
        Http404 if there is none."""
        for row in self(*arguments, **values):
            return row
        raise Http404(f"No row of {self}.")

    def compiled(self, arguments: tuple, using: str) -> tuple:
        """The compiler of the first compile of `build(*arguments)` for database `using`,
        its SQL and its parameters."""
        key = (arguments, using)
        if key not in self._compiled:
            compiler = self._querysets[arguments].query.get_compiler(using)
            sql, params = compiler.as_sql()
            self._compiled[key] = (compiler, sql, params)
        return self._compiled[key]


def prepared(build: Callable[..., models.QuerySet]) -> Prepared:
    """Decorates a function that builds a queryset from `Param`s (see the module's doc)."""
    return Prepared(build)
